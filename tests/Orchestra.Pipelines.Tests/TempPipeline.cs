using Orchestra.Pipelines.Prompts;

namespace Orchestra.Pipelines.Tests;

/// <summary>A pipeline file and its prompt files in a temporary folder, with its own project and user prompt folders.</summary>
public sealed class TempPipeline : IDisposable
{
    public TempPipeline()
    {
        Root = Directory.CreateTempSubdirectory("orchestra-pipeline-").FullName;
        Directory.CreateDirectory(PipelineDir);
    }

    public string Root { get; }

    public string PipelineDir => Path.Combine(Root, "pipelines");

    public string ProjectPrompts => Path.Combine(Root, "project-prompts");

    public string UserPrompts => Path.Combine(Root, "user-prompts");

    public string PipelinePath => Path.Combine(PipelineDir, "pipeline.yaml");

    public PromptSearchPath SearchPath => new(PipelineDir, ProjectPrompts, UserPrompts);

    public PipelineCompileOptions Options => new() { Prompts = SearchPath };

    public TempPipeline Write(string relative, string content)
    {
        var path = Path.Combine(PipelineDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return this;
    }

    public static void WriteAt(string dir, string relative, string content)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Writes the pipeline file and compiles it.</summary>
    public CompiledPipeline Compile(string yaml)
    {
        File.WriteAllText(PipelinePath, yaml);
        return PipelineCompiler.Compile(PipelinePath, Options);
    }

    /// <summary>Writes the pipeline file, expects compilation to fail, and returns the errors as printed.</summary>
    public IReadOnlyList<string> Errors(string yaml)
    {
        File.WriteAllText(PipelinePath, yaml);
        var ex = Assert.Throws<PipelineException>(() => PipelineCompiler.Compile(PipelinePath, Options));
        return ex.Errors.Select(e => e.ToString()).ToList();
    }

    /// <summary>The single error of a failing pipeline, as printed.</summary>
    public string Error(string yaml) => Assert.Single(Errors(yaml));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
