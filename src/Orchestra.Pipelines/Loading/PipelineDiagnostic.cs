using System.Globalization;

namespace Orchestra.Pipelines;

/// <summary>How bad a <see cref="PipelineDiagnostic"/> is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The pipeline cannot be compiled or run.</summary>
    Error,
    /// <summary>The pipeline compiles, but something in it is probably not what was meant.</summary>
    Warning,
}

/// <summary>One problem found in a pipeline file, with the place it was found.</summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Location"><c>file:line:column</c>, or the file alone when no position is known.</param>
/// <param name="Message">What is wrong and how to fix it, as one sentence or two.</param>
public sealed record PipelineDiagnostic(DiagnosticSeverity Severity, string Location, string Message)
{
    /// <summary>The file part of <see cref="Location"/>.</summary>
    public string File => Split().File;

    /// <summary>The line, from 1; 0 when unknown.</summary>
    public int Line => Split().Line;

    /// <summary>The column, from 1; 0 when unknown.</summary>
    public int Column => Split().Column;

    /// <summary>
    /// The diagnostic as a compiler prints it: <c>file:line:column: message</c> for an error,
    /// <c>file:line:column: warning: message</c> for a warning.
    /// </summary>
    public override string ToString() =>
        Severity == DiagnosticSeverity.Error ? $"{Location}: {Message}" : $"{Location}: warning: {Message}";

    private (string File, int Line, int Column) Split()
    {
        // The file name itself may hold colons: the position is the last two numeric parts.
        var last = Location.LastIndexOf(':');
        var middle = last > 0 ? Location.LastIndexOf(':', last - 1) : -1;
        if (middle > 0
            && int.TryParse(Location.AsSpan(middle + 1, last - middle - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            && int.TryParse(Location.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var column))
            return (Location[..middle], line, column);
        return (Location, 0, 0);
    }
}
