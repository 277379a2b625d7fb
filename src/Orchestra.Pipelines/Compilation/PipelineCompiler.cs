using Orchestra.Core;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;
using Orchestra.Workspace;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines;

/// <summary>Settings of a compilation.</summary>
public sealed record PipelineCompileOptions
{
    /// <summary>
    /// The project: its <c>.orchestra/agents/</c> (for <c>use:</c> and nodes naming workspace agents) and
    /// <c>.orchestra/prompts/</c>. Null: no project; only agents defined in the pipeline are known.
    /// </summary>
    public OrchestraWorkspace? Workspace { get; init; }

    /// <summary>Where prompt layer files are looked up; null: the pipeline's folder, the project's prompts, <c>~/.orchestra/prompts/</c>.</summary>
    public PromptSearchPath? Prompts { get; init; }
}

/// <summary>
/// Compiles a pipeline file into the engine's graph, checking it first: unknown agents and nodes, unreachable
/// nodes, loops without <c>max_loops</c>, joins whose branches cannot all arrive, edges from END or to START,
/// conditions, prompt files and templates. Every error is reported (not only the first), each at its
/// <c>file:line:column</c> with the fix; problems that do not stop the pipeline are warnings.
/// </summary>
public static class PipelineCompiler
{
    /// <summary>
    /// Starts the template engine and the serializer on background threads, so that their one-time start-up overlaps
    /// what the caller does before compiling (parsing a command line, reading the file). Safe to call any number of times.
    /// </summary>
    public static void WarmUp()
    {
        PromptTemplate.WarmUp();
        PipelineLoader.WarmUp();
    }

    /// <summary>Reads, checks and compiles <paramref name="path"/>.</summary>
    /// <exception cref="PipelineException">The pipeline has errors; <see cref="PipelineException.Diagnostics"/> lists them with the warnings.</exception>
    /// <exception cref="OrchestraException">The file is missing, unreadable or not YAML.</exception>
    public static CompiledPipeline Compile(string path, PipelineCompileOptions? options = null)
    {
        WarmUp();
        var document = PipelineLoader.Read(YamlSource.Load(path), out var warnings);
        return new Compilation(document, options ?? new PipelineCompileOptions(), warnings).Run();
    }

    /// <summary>Checks and compiles a loaded pipeline.</summary>
    /// <exception cref="PipelineException">The pipeline has errors.</exception>
    public static CompiledPipeline Compile(PipelineDocument document, PipelineCompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new Compilation(document, options ?? new PipelineCompileOptions(), []).Run();
    }
}
