namespace Orchestra.Core;

/// <summary>What kind of problem an <see cref="OrchestraException"/> reports; the CLI maps it to an exit code.</summary>
public enum ErrorKind
{
    /// <summary>Bad input or configuration: the user can fix it (exit code 2).</summary>
    Usage,
    /// <summary>Something asked for does not exist (exit code 2).</summary>
    NotFound,
    /// <summary>A request conflicts with what exists, for example a reused idempotency key (exit code 2).</summary>
    Conflict,
    /// <summary>The environment failed: disk full, read-only store (exit code 1).</summary>
    Environment,
}

/// <summary>
/// A problem the user can act on. The message is one line that names the problem and the fix;
/// it never carries secrets or stack traces.
/// </summary>
public class OrchestraException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OrchestraException(string message, ErrorKind kind = ErrorKind.Usage, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>Creates the exception.</summary>
    public OrchestraException() : this("Orchestra error.") { }

    /// <summary>Creates the exception.</summary>
    public OrchestraException(string message) : this(message, ErrorKind.Usage) { }

    /// <summary>Creates the exception.</summary>
    public OrchestraException(string message, Exception inner) : this(message, ErrorKind.Usage, inner) { }

    /// <summary>What kind of problem it is.</summary>
    public ErrorKind Kind { get; }
}
