using System.Text.Json.Nodes;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Workspace;

namespace Orchestra.Pipelines.Tests;

/// <summary>Compiled pipelines run on the engine with scripted agents: prompts, conditions, loops and reducers as written.</summary>
public sealed class ExecutionTests : IDisposable
{
    private readonly TempPipeline _p = new();
    private readonly InMemoryStore _store = new();

    public void Dispose() => _p.Dispose();

    private async Task<RunRecord> RunAsync(CompiledPipeline pipeline, Dictionary<string, JsonNode?> inputs)
    {
        var resolver = new PipelineAgentResolver(pipeline, OrchestraWorkspace.At(_p.Root));
        var engine = new OrchestraEngine(_store, resolver, new EngineOptions { Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });
        engine.Graphs.Register(pipeline.Graph);
        var submission = await engine.StartGraphAsync(pipeline.Graph.Name, pipeline.CreateInitialState(inputs));
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 4, UntilIdle = true });
        await worker.RunAsync();
        return (await _store.GetRunAsync(submission.Run.Id))!;
    }

    [Fact]
    public async Task A_critic_loop_routes_on_structured_output_until_it_accepts()
    {
        _p.Write("tasks/write.md", "Write about {{ topic }}{{#if outputs.critic.notes}} again: {{ outputs.critic.notes }}{{/if}}");
        var pipeline = _p.Compile("""
            inputs:
              topic: {}
            state:
              drafts: { type: list, reducer: append, default: [] }
            agents:
              writer:
                kind: scripted
                role: { text: "You write." }
                task: tasks/write
                responses:
                  - { output: "{prompt}", state: { drafts: ["draft"] } }
              critic:
                kind: scripted
                task: { text: "Check: {{ outputs.writer }}" }
                responses:
                  - { match: "again", data: { verdict: accept, notes: fine } }
                  - { data: { verdict: revise, notes: shorter } }
              publish:
                kind: scripted
                task: { text: "Publish {{ inputs.topic }} after {{ outputs.critic.verdict }}" }
            graph:
              edges:
                - { from: START, to: writer }
                - { from: writer, to: critic }
                - { from: critic, to: writer, condition: outputs.critic.verdict == "revise", max_loops: 3, fallback: publish }
                - { from: critic, to: publish, condition: outputs.critic.verdict == "accept" }
                - { from: publish, to: END }
            """);

        var run = await RunAsync(pipeline, new() { ["topic"] = "durability" });

        Assert.Equal(RunStatus.Completed, run.Status);
        var steps = (await _store.ListStepsAsync(new StepQuery { RunId = run.Id })).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(["writer", "critic", "writer", "critic", "publish"], steps.Select(s => s.Node));
        Assert.Equal("You write.\n\nWrite about durability", steps[0].Prompt);
        Assert.Equal("You write.\n\nWrite about durability again: shorter", steps[2].Prompt);
        Assert.Equal("Publish durability after accept", steps[4].Prompt);
        Assert.Equal(2, run.State["drafts"]!.AsArray().Count);
    }

    [Fact]
    public async Task Fan_out_and_join_run_every_branch_before_the_join()
    {
        var pipeline = _p.Compile("""
            agents:
              split: { kind: scripted, task: { text: "split" } }
              left: { kind: scripted, task: { text: "left" } }
              right-side: { kind: scripted, task: { text: "right" } }
              merge: { kind: scripted, task: { text: "merge {{ outputs.left }} + {{ outputs.right-side }}" } }
            graph:
              edges:
                - { from: START, to: split }
                - { from: split, to: [left, right-side] }
                - { from: [left, right-side], to: merge, join: all }
            """);

        var run = await RunAsync(pipeline, []);

        Assert.Equal(RunStatus.Completed, run.Status);
        var merge = Assert.Single(await _store.ListStepsAsync(new StepQuery { RunId = run.Id, Node = "merge" }));
        Assert.Equal("merge left + right", merge.Prompt);
    }
}
