using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;
using Orchestra.Workspace;

namespace Orchestra.Pipelines.Tests;

/// <summary>A pipeline waiting for a person resumes exactly where it waited in a new engine over the same SQLite file.</summary>
public sealed class HumanRestartTests : IDisposable
{
    private readonly TempPipeline _p = new();

    public void Dispose() => _p.Dispose();

    private string Database => Path.Combine(_p.Root, "orchestra.db");

    /// <summary>One process's life: a fresh store connection, engine and compiled pipeline, as after a restart.</summary>
    private async Task<T> InProcessAsync<T>(Func<OrchestraEngine, IStore, Task<T>> work)
    {
        var pipeline = PipelineCompiler.Compile(_p.PipelinePath, _p.Options);
        await using var store = SqliteStore.Open(Database, new SqliteStoreOptions());
        var engine = new OrchestraEngine(store, new PipelineAgentResolver(pipeline, OrchestraWorkspace.At(_p.Root)),
            new EngineOptions { Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });
        engine.Graphs.Register(pipeline.Graph);
        return await work(engine, store);
    }

    private static async Task DrainAsync(OrchestraEngine engine, string runId)
    {
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 2, UntilIdle = true, RunId = runId });
        await worker.RunAsync();
    }

    [Fact]
    public async Task Every_human_turn_is_durable_and_a_new_engine_continues_from_it()
    {
        _p.Compile("""
            name: humans
            agents:
              helper:
                kind: scripted
                mode: interactive
                task: { text: "Help me plan" }
                responses:
                  - { match: "shorter", output: "Short plan." }
                  - { output: "Reply to: {prompt}" }
              writer:
                kind: scripted
                task: { text: "Write from {{ outputs.helper }}" }
            nodes:
              writer: { approve: true }
            graph:
              edges:
                - { from: START, to: helper }
                - { from: helper, to: writer }
                - { from: writer, to: END }
            """);

        var (runId, helper) = await InProcessAsync(async (engine, store) =>
        {
            var run = (await engine.StartGraphAsync("humans")).Run;
            await DrainAsync(engine, run.Id);
            var wait = Assert.Single(await engine.ListWaitingAsync(run.Id));
            Assert.Equal("Reply to: Help me plan", wait.Reply);
            // The message is recorded, then the process dies before any worker answers it.
            await engine.PostHumanMessageAsync(wait.Step.Id, "make it shorter");
            return (run.Id, wait.Step.Id);
        });

        await InProcessAsync(async (engine, store) =>
        {
            Assert.Equal(StepStatus.Ready, (await store.GetStepAsync(helper))!.Status);
            await DrainAsync(engine, runId);
            var wait = Assert.Single(await engine.ListWaitingAsync(runId));
            Assert.Equal(("Short plan.", 2, HumanWaitKind.Message), (wait.Reply, wait.Turns, wait.Kind));
            await engine.FinishInteractiveAsync(helper);
            return 0;
        });

        var writer = await InProcessAsync(async (engine, store) =>
        {
            await DrainAsync(engine, runId);
            var wait = Assert.Single(await engine.ListWaitingAsync(runId));
            Assert.Equal(("writer", HumanWaitKind.Approval, "Write from Short plan."), (wait.Step.Node, wait.Kind, wait.Reply));
            Assert.True(OrchestraEngine.IsWaitingForHuman((await store.GetRunAsync(runId))!, await store.SummarizeAsync(runId)));
            return wait.Step.Id;
        });

        await InProcessAsync(async (engine, store) =>
        {
            await engine.ApproveAsync(writer, "fine");
            Assert.Equal(RunStatus.Completed, (await store.GetRunAsync(runId))!.Status);
            var events = (await store.ListEventsAsync(runId, 0, 10_000)).Select(e => e.Type).ToList();
            Assert.Equal(3, events.Count(t => t == EventTypes.StepWaiting));
            Assert.Single(events, t => t == EventTypes.HumanMessage);
            Assert.Single(events, t => t == EventTypes.HumanDone);
            Assert.Single(events, t => t == EventTypes.ApprovalGranted);
            var steps = await store.ListStepsAsync(new StepQuery { RunId = runId });
            Assert.Equal(["helper", "writer"], steps.Select(s => s.Node));
            return 0;
        });
    }
}
