namespace Orchestra.Agents.Tools;

/// <summary>
/// A tool call that failed in a way the model can act on: a bad argument, a missing file, a path outside the
/// workspace, a command that failed. <see cref="ToolBox.InvokeAsync"/> turns it into an error result for the model
/// instead of letting it reach the agent; the message is written for the model and never holds secrets.
/// </summary>
public sealed class ToolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ToolException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ToolException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public ToolException() : this("the tool failed") { }
}
