namespace Orchestra.Agents.Tools;

/// <summary>What the built-in tools of one repository share: the root, the limits and the child environment.</summary>
internal sealed record ToolContext
{
    public required WorkspaceRoot Root { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The most text one result may hold, in UTF-8 bytes.</summary>
    public int MaxOutputBytes { get; init; } = ToolOptions.DefaultMaxOutputBytes;

    /// <summary>The commands <c>run_command</c> may start (exact <c>argv[0]</c> values).</summary>
    public IReadOnlySet<string> AllowedCommands { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>How long a command may run before its process tree is killed.</summary>
    public TimeSpan CommandTimeout { get; init; } = ToolOptions.DefaultCommandTimeout;

    /// <summary>The complete environment of child processes.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = ChildEnvironment.Build(null).Variables;

    /// <summary>How long one regular expression match may take.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Called with the pid of every process a tool starts (tests use it to clean up).</summary>
    public Action<int>? ProcessStarted { get; init; }
}
