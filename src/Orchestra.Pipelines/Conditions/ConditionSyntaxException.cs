using Orchestra.Core;

namespace Orchestra.Pipelines.Conditions;

/// <summary>A condition that does not parse; <see cref="Column"/> points into its text.</summary>
public sealed class ConditionSyntaxException : OrchestraException
{
    /// <summary>Creates the exception.</summary>
    public ConditionSyntaxException(string text, int column, string problem)
        : base($"{problem} at column {column} of the condition '{text}'", ErrorKind.Usage)
    {
        Text = text;
        Column = column;
        Problem = problem;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>Where in <see cref="Text"/> the problem is, from 1.</summary>
    public int Column { get; }

    /// <summary>The problem without its position.</summary>
    public string Problem { get; }
}
