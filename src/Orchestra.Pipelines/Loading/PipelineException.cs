using Orchestra.Core;

namespace Orchestra.Pipelines;

/// <summary>
/// A pipeline file that cannot be compiled. <see cref="Diagnostics"/> holds every problem found (errors and
/// warnings); the message is the first error, with a count of the others.
/// </summary>
public sealed class PipelineException : OrchestraException
{
    /// <summary>Creates the exception from the diagnostics of a failed load or compilation.</summary>
    public PipelineException(IReadOnlyList<PipelineDiagnostic> diagnostics)
        : base(Describe(diagnostics), ErrorKind.Usage) => Diagnostics = diagnostics;

    /// <summary>Every problem found, errors and warnings, in the order found.</summary>
    public IReadOnlyList<PipelineDiagnostic> Diagnostics { get; }

    /// <summary>The errors only.</summary>
    public IEnumerable<PipelineDiagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    private static string Describe(IReadOnlyList<PipelineDiagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count == 0)
            return "the pipeline could not be compiled.";
        var first = errors[0].ToString();
        return errors.Count == 1 ? first : $"{first} (and {errors.Count - 1} more: see 'orchestra compile {errors[0].File}')";
    }
}
