using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines;

/// <summary>Collects the problems of one pipeline file so that all of them are reported at once.</summary>
internal sealed class DiagnosticBag(YamlSource source)
{
    private readonly List<PipelineDiagnostic> _items = [];

    public YamlSource Source { get; } = source;

    public IReadOnlyList<PipelineDiagnostic> Items => _items;

    public bool HasErrors => _items.Any(d => d.Severity == DiagnosticSeverity.Error);

    public int ErrorCount => _items.Count(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>An error at a JSON path of the file.</summary>
    public void Error(string at, string message) => _items.Add(new(DiagnosticSeverity.Error, Source.Where(at), message));

    /// <summary>A warning at a JSON path of the file.</summary>
    public void Warning(string at, string message) => _items.Add(new(DiagnosticSeverity.Warning, Source.Where(at), message));

    /// <summary>Adds a diagnostic found elsewhere (for example in a prompt file).</summary>
    public void Add(PipelineDiagnostic diagnostic) => _items.Add(diagnostic);

    /// <summary>Throws <see cref="PipelineException"/> when an error was recorded.</summary>
    public void ThrowIfErrors()
    {
        if (HasErrors)
            throw new PipelineException(_items.ToList());
    }
}
