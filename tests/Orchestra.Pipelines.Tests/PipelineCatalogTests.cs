using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Workspace;

namespace Orchestra.Pipelines.Tests;

/// <summary>
/// A pipeline run records its file and digest; a catalog in another process compiles the same file again, continues
/// the run with its inline agents, and refuses a file that changed.
/// </summary>
public sealed class PipelineCatalogTests : IDisposable
{
    private const string Yaml = """
        name: two-steps
        inputs:
          topic: {}
        agents:
          writer:
            kind: scripted
            task: { text: "Write about {{ topic }}" }
          editor:
            kind: scripted
            task: { text: "Edit: {{ outputs.writer }}" }
        graph:
          edges:
            - { from: START, to: writer }
            - { from: writer, to: editor }
            - { from: editor, to: END }
        """;

    private readonly TempPipeline _p = new();
    private readonly InMemoryStore _store = new();

    public void Dispose() => _p.Dispose();

    private OrchestraEngine Engine(PipelineCatalog catalog) =>
        new(_store, catalog, new EngineOptions { GraphResolver = catalog.Resolve, Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });

    /// <summary>Compiles and submits the pipeline as 'orchestra run' does, without executing any step.</summary>
    private async Task<string> SubmitAsync()
    {
        File.WriteAllText(_p.PipelinePath, Yaml);
        var catalog = new PipelineCatalog(OrchestraWorkspace.At(_p.Root));
        var pipeline = catalog.Compile(_p.PipelinePath, out var source);
        var engine = Engine(catalog);
        engine.Graphs.Register(pipeline.Graph);
        var submission = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Graph,
            Name = pipeline.Name,
            State = pipeline.CreateInitialState(new Dictionary<string, JsonNode?> { ["topic"] = "resume" }),
            GraphSource = source,
        });
        return submission.Run.Id;
    }

    private async Task<RunRecord> ContinueInAnotherProcessAsync(string runId)
    {
        var engine = Engine(new PipelineCatalog(OrchestraWorkspace.At(_p.Root)));
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 2, UntilIdle = true });
        await worker.RunAsync();
        return (await _store.GetRunAsync(runId))!;
    }

    [Fact]
    public async Task Compile_RecordsTheAbsolutePathAndTheSha256OfTheFile()
    {
        var runId = await SubmitAsync();

        var run = (await _store.GetRunAsync(runId))!;
        Assert.True(PipelineCatalog.TryGetSource(run, out var path, out var sha));
        Assert.Equal(Path.GetFullPath(_p.PipelinePath), path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_p.PipelinePath))), sha);
    }

    [Fact]
    public async Task AnotherProcess_RecompilesTheRecordedFile_AndRunsItsInlineAgentsToTheEnd()
    {
        var runId = await SubmitAsync();

        var run = await ContinueInAnotherProcessAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Status);
        var steps = (await _store.ListStepsAsync(new StepQuery { RunId = runId })).OrderBy(s => s.CreatedAt).ToList();
        Assert.Equal(["pipeline:two-steps:writer", "pipeline:two-steps:editor"], steps.Select(s => s.Agent));
        Assert.Equal("Edit: Write about resume", steps[1].Prompt);
    }

    [Fact]
    public async Task ChangedFile_IsRefusedWithOneLineNamingTheRunTheFileAndWhatToDo()
    {
        var runId = await SubmitAsync();
        File.AppendAllText(_p.PipelinePath, "\n# edited after the run started\n");
        var run = (await _store.GetRunAsync(runId))!;

        var ex = Assert.Throws<OrchestraException>(() => new PipelineCatalog(OrchestraWorkspace.At(_p.Root)).Resolve(run));

        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains(runId, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(_p.PipelinePath), ex.Message, StringComparison.Ordinal);
        Assert.Contains("has changed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangedFile_FailsTheRunInsteadOfRunningADifferentGraph()
    {
        var runId = await SubmitAsync();
        File.WriteAllText(_p.PipelinePath, Yaml.Replace("Edit:", "Rewrite:", StringComparison.Ordinal));

        var run = await ContinueInAnotherProcessAsync(runId);

        Assert.Equal(RunStatus.Failed, run.Status);
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = runId });
        // The first step's inline agent comes with the graph: the refusal is its error.
        var failed = Assert.Single(steps, s => s.Status == StepStatus.Failed);
        Assert.Contains("has changed since", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(steps, s => s.Prompt.StartsWith("Rewrite", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingFile_IsRefusedNamingTheFile()
    {
        var runId = await SubmitAsync();
        File.Delete(_p.PipelinePath);
        var run = (await _store.GetRunAsync(runId))!;

        var ex = Assert.Throws<OrchestraException>(() => new PipelineCatalog(OrchestraWorkspace.At(_p.Root)).Resolve(run));

        Assert.Contains(Path.GetFullPath(_p.PipelinePath), ex.Message, StringComparison.Ordinal);
        Assert.Contains(runId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_OfARunNotStartedFromAFile_IsNull()
    {
        var catalog = new PipelineCatalog(OrchestraWorkspace.At(_p.Root));

        Assert.Null(catalog.Resolve(new RunRecord { Id = "r1", Kind = RunKinds.Graph, Name = "coded" }));
    }
}
