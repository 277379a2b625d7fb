using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Workspace;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines;

/// <summary>
/// The pipelines a process runs. It compiles a pipeline file and records where it came from (absolute path and SHA-256)
/// so that any later process finds the same graph again: <see cref="Resolve"/> is the engine's
/// <see cref="EngineOptions.GraphResolver"/>, and the catalog is the engine's agent resolver, answering for the
/// pipelines' inline agents (<c>pipeline:{pipeline}:{agent}</c>) and passing every other name to the workspace.
/// A run whose file changed since it started is refused rather than continued on a different graph.
/// </summary>
public sealed class PipelineCatalog : IAgentResolver
{
    /// <summary>The value of <c>kind</c> in a pipeline run's source record.</summary>
    public const string SourceKind = "pipeline";

    private readonly OrchestraWorkspace _workspace;
    // By "path\0sha256": a file compiled once per version per process.
    private readonly ConcurrentDictionary<string, CompiledPipeline> _compiled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PipelineAgentResolver> _agents = new(StringComparer.Ordinal);

    /// <summary>Creates a catalog whose pipelines use <paramref name="workspace"/>'s agents and prompts.</summary>
    public PipelineCatalog(OrchestraWorkspace workspace) =>
        _workspace = workspace ?? throw new ArgumentNullException(nameof(workspace));

    /// <summary>Reads, checks and compiles <paramref name="path"/>, and makes its inline agents known.</summary>
    /// <param name="path">The pipeline file.</param>
    /// <param name="source">Where it came from, to give the run as <see cref="RunSpec.GraphSource"/>.</param>
    /// <exception cref="PipelineException">The pipeline has errors.</exception>
    /// <exception cref="OrchestraException">The file is missing, unreadable or not YAML.</exception>
    public CompiledPipeline Compile(string path, out JsonObject source)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var (text, digest) = Read(path);
        source = new JsonObject { ["kind"] = SourceKind, ["path"] = full, ["sha256"] = digest };
        // Messages name the file as it was given, as 'orchestra compile' does.
        return CompileText(path, full, text, digest);
    }

    /// <summary>
    /// The graph of a pipeline run, compiled again from the file its source record names; null when the run was not
    /// started from a pipeline file. Use it as <see cref="EngineOptions.GraphResolver"/>.
    /// </summary>
    /// <exception cref="OrchestraException">The file is gone, changed since the run started, or no longer compiles.</exception>
    public GraphDefinition? Resolve(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!TryGetSource(run, out var path, out var expected))
            return null;
        string text, digest;
        try
        {
            (text, digest) = Read(path);
        }
        catch (OrchestraException ex)
        {
            throw new OrchestraException(
                $"run {run.Id} cannot go on: its pipeline file {path} is gone or unreadable ({ex.Message.TrimEnd('.')}); restore it, or cancel the run with 'orchestra cancel {run.Id}'.",
                ErrorKind.NotFound, ex);
        }
        if (!string.Equals(digest, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new OrchestraException(
                $"run {run.Id} was started from {path}, which has changed since (sha256 {expected[..12]}…, now {digest[..12]}…): restore that version to continue it, or cancel it with 'orchestra cancel {run.Id}' and start a new run with 'orchestra run {path}'.",
                ErrorKind.Conflict);
        }
        try
        {
            return CompileText(path, path, text, digest).Graph;
        }
        catch (PipelineException ex)
        {
            throw new OrchestraException($"run {run.Id} cannot go on: its pipeline no longer compiles: {ex.Message}", ErrorKind.Usage, ex);
        }
    }

    /// <summary>Reads a pipeline run's source record: the file and the SHA-256 it had when the run started.</summary>
    public static bool TryGetSource(RunRecord run, out string path, out string sha256)
    {
        ArgumentNullException.ThrowIfNull(run);
        path = sha256 = "";
        if (run.Kind != RunKinds.Graph || run.Graph[OrchestraEngine.GraphSourceKey] is not JsonObject source
            || source["kind"]?.GetValue<string>() != SourceKind)
        {
            return false;
        }
        path = source["path"]?.GetValue<string>() ?? "";
        sha256 = source["sha256"]?.GetValue<string>() ?? "";
        return path.Length > 0 && sha256.Length > 0;
    }

    /// <inheritdoc />
    public Agent? Find(string name)
    {
        if (name.StartsWith("pipeline:", StringComparison.Ordinal) && _agents.TryGetValue(name, out var resolver))
            return resolver.Find(name);
        return _workspace.Agents.Find(name);
    }

    /// <inheritdoc />
    public bool Contains(string name) => _agents.ContainsKey(name) || _workspace.Agents.Contains(name);

    private CompiledPipeline CompileText(string path, string fullPath, string text, string digest)
    {
        var key = fullPath + "\0" + digest;
        if (_compiled.TryGetValue(key, out var known))
            return known;
        var document = PipelineLoader.Read(YamlSource.Parse(path, text), out var warnings);
        var pipeline = new Compilation(document, new PipelineCompileOptions { Workspace = _workspace }, warnings).Run();
        var resolver = new PipelineAgentResolver(pipeline, _workspace);
        // The latest version compiled answers for its agents' names.
        foreach (var agent in pipeline.Agents.Where(a => a.Definition is not null))
            _agents[agent.RuntimeName] = resolver;
        _compiled[key] = pipeline;
        return pipeline;
    }

    /// <summary>The file's text and the SHA-256 of its bytes, read once so that both describe the same version.</summary>
    private static (string Text, string Sha256) Read(string path)
    {
        byte[] bytes;
        try
        {
            if (new FileInfo(path) is { Exists: false })
                throw new OrchestraException($"{path}: no such file.", ErrorKind.NotFound);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException or ArgumentException or NotSupportedException)
        {
            throw new OrchestraException($"{path}: cannot be read ({ex.Message}).", ErrorKind.Usage, ex);
        }
        if (bytes.Length > YamlSource.MaxBytes)
            throw new OrchestraException($"{path}: {bytes.Length / 1024} KiB is too large for a definition file (at most {YamlSource.MaxBytes / 1024 / 1024} MiB).");
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return (reader.ReadToEnd(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
