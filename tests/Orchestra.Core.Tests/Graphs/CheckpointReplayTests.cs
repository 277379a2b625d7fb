using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.State;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Tests.Graphs;

public class CheckpointReplayTests
{
    private readonly InMemoryStore _store = new();
    private readonly ConcurrentQueue<string> _trace = new();
    private readonly OrchestraEngine _engine;

    public CheckpointReplayTests()
    {
        _engine = new OrchestraEngine(_store, new AgentRegistry([]));
        // draft → critic → approve when the path is left and the draft is short, revise otherwise.
        _engine.Graphs.Register(new GraphBuilder("review")
            .AddNode("draft", (c, _) => Node("draft", new JsonObject { ["kind"] = "short" }))
            .AddNode("critic", (c, _) => Node("critic"))
            .AddNode("approve", (c, _) => Node("approve"))
            .AddNode("revise", (c, _) => Node("revise"))
            .AddEdge(GraphDefinition.Start, "draft")
            .AddEdge("draft", "critic")
            .AddConditionalEdge("critic", "approve", Approves)
            .AddConditionalEdge("critic", "revise", ctx => !Approves(ctx))
            .AddEdge("approve", GraphDefinition.End)
            .AddEdge("revise", GraphDefinition.End)
            .WithReducer("log", Reducer.Append)
            .Build());
    }

    private static bool Approves(GraphContext ctx) =>
        (string?)ctx.State["path"] == "left" && (string?)ctx.Outputs["draft"]?["kind"] == "short";

    private ValueTask<AgentResult> Node(string name, JsonNode? data = null)
    {
        _trace.Enqueue(name);
        return ValueTask.FromResult(new AgentResult
        {
            Outcome = AgentOutcome.Succeeded,
            Output = name,
            Data = data,
            StateDelta = new JsonObject { ["log"] = name },
        });
    }

    /// <summary>One step at a time, so that every result is a checkpoint of its own.</summary>
    private async Task<RunRecord> RunAsync(string runId)
    {
        using var worker = new Worker(_engine, new WorkerOptions { Parallelism = 1, UntilIdle = true });
        await worker.RunAsync();
        return (await _store.GetRunAsync(runId))!;
    }

    private async Task<RunRecord> StartAndRunAsync()
    {
        var submission = await _engine.StartGraphAsync("review", new JsonObject { ["path"] = "left" });
        return await RunAsync(submission.Run.Id);
    }

    private static string[] Log(RunRecord run) => run.State["log"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    [Fact]
    public async Task EveryRecordedResult_WritesANumberedCheckpoint_WithStateBookkeepingAndOpenSteps()
    {
        var run = await StartAndRunAsync();

        var checkpoints = await _engine.ListCheckpointsAsync(run.Id);
        var events = await _store.ListEventsAsync(run.Id, 0, 1000);
        var steps = (await _store.ListStepsAsync(new StepQuery { RunId = run.Id })).ToDictionary(s => s.Id, s => s.Node);

        Assert.Equal([1, 2, 3, 4], checkpoints.Select(c => c.Number));
        Assert.Equal([CheckpointReasons.Created, CheckpointReasons.Step, CheckpointReasons.Step, CheckpointReasons.Step], checkpoints.Select(c => c.Reason));
        Assert.Equal([[], ["draft"], ["critic"], ["approve"]], checkpoints.Select(c => c.Nodes.ToArray()));
        Assert.Equal([["draft"], ["critic"], ["approve"], []], checkpoints.Select(c => CheckpointHistory.At(events, c.Seq).Open.Select(o => steps[o.Id]).ToArray()));
        Assert.Equal("""["draft"]""", checkpoints[1].State["log"]!.ToJsonString());
        Assert.Equal("short", (string?)checkpoints[1].Graph["outputs"]!["draft"]!["kind"]);
        Assert.All(checkpoints, c => Assert.Empty(CheckpointHistory.At(events, c.Seq).Commits));
        Assert.Equal("draft", steps[checkpoints[1].Steps.Single()]);
    }

    [Fact]
    public async Task Replay_RerunsExactlyTheNodesAfterTheCheckpoint_AndEndsInTheSameState()
    {
        var original = await StartAndRunAsync();
        Assert.Equal(["draft", "critic", "approve"], _trace);
        while (_trace.TryDequeue(out _)) { }

        var replay = await _engine.ReplayAsync(original.Id, 2);
        Assert.Equal(RunStatus.Running, replay.Run.Status);
        Assert.Equal(["critic"], replay.Steps.Select(s => s.Node));
        Assert.Equal(["approve", "critic"], replay.Superseded.Select(s => s.Node).Order());
        Assert.Equal("""["draft"]""", replay.Run.State["log"]!.ToJsonString());
        var replayed = await RunAsync(original.Id);

        Assert.Equal(["critic", "approve"], _trace);
        Assert.Equal(RunStatus.Completed, replayed.Status);
        Assert.Equal(Log(original), Log(replayed));
        Assert.Equal(original.Graph.ToJsonString(), replayed.Graph.ToJsonString());
        // History is kept: the first critic and approve are still there, set aside.
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = original.Id });
        Assert.Equal(5, steps.Count);
        Assert.Equal(2, steps.Count(s => s.Status == StepStatus.Superseded));
        var checkpoints = await _store.ListCheckpointsAsync(original.Id);
        Assert.Equal(CheckpointReasons.Replay, checkpoints[4].Reason);
        Assert.Equal(2, (int?)checkpoints[4].Details!["replayed_to"]);
        Assert.Equal(7, checkpoints.Count);
    }

    [Fact]
    public async Task Replay_OfAReplayedRun_SupersedesWhatTheFirstReplayCreated()
    {
        var run = await StartAndRunAsync();
        await _engine.ReplayAsync(run.Id, 3);
        await RunAsync(run.Id);
        while (_trace.TryDequeue(out _)) { }

        await _engine.ReplayAsync(run.Id, 1);
        var again = await RunAsync(run.Id);

        Assert.Equal(["draft", "critic", "approve"], _trace);
        Assert.Equal(["draft", "critic", "approve"], Log(again));
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = run.Id });
        Assert.Equal(3, steps.Count(s => s.Status == StepStatus.Succeeded));
    }

    [Fact]
    public async Task Fork_WithAStateEdit_TakesTheOtherBranch_AndLeavesTheParentUntouched()
    {
        var parent = await StartAndRunAsync();
        var parentCheckpoints = (await _store.ListCheckpointsAsync(parent.Id)).Count;
        while (_trace.TryDequeue(out _)) { }

        var fork = await _engine.ForkAsync(parent.Id, 2, [CheckpointEdit.Parse("path=right")]);
        var child = await RunAsync(fork.Run.Id);

        Assert.NotEqual(parent.Id, child.Id);
        Assert.Equal(["critic", "revise"], _trace);
        Assert.Equal(RunStatus.Completed, child.Status);
        Assert.Equal(["draft", "critic", "revise"], Log(child));
        Assert.Equal("right", (string?)child.State["path"]);
        var first = (await _store.GetCheckpointAsync(child.Id, 1))!;
        Assert.Equal(CheckpointReasons.Fork, first.Reason);
        Assert.Equal(parent.Id, (string?)first.Details!["forked_from"]);
        Assert.Equal(2, (int?)first.Details["forked_at"]);
        Assert.Equal("""["path"]""", first.Details["edits"]!.ToJsonString());
        var unchanged = (await _store.GetRunAsync(parent.Id))!;
        Assert.Equal(parent.State.ToJsonString(), unchanged.State.ToJsonString());
        Assert.Equal(parentCheckpoints, (await _store.ListCheckpointsAsync(parent.Id)).Count);
        Assert.Equal(3, (await _store.ListStepsAsync(new StepQuery { RunId = parent.Id })).Count);
    }

    [Fact]
    public async Task Fork_WithAnEdit_AtTheCheckpointOfTheDecidingNode_DecidesItsRoutingAgain()
    {
        var parent = await StartAndRunAsync();
        while (_trace.TryDequeue(out _)) { }

        // Checkpoint 3 recorded the critic's result, and with it the approve step its edge created.
        var fork = await _engine.ForkAsync(parent.Id, 3, [CheckpointEdit.Parse("path=right")]);
        Assert.Equal(["revise"], fork.Steps.Select(s => s.Node));
        var child = await RunAsync(fork.Run.Id);

        Assert.Equal(["revise"], _trace);
        Assert.Equal(["draft", "critic", "revise"], Log(child));
    }

    [Fact]
    public async Task Fork_WithoutEdits_GoesOnWithTheStepsOpenAtTheCheckpoint()
    {
        var parent = await StartAndRunAsync();
        while (_trace.TryDequeue(out _)) { }

        var fork = await _engine.ForkAsync(parent.Id, 3);
        var child = await RunAsync(fork.Run.Id);

        Assert.Equal(["approve"], _trace);
        Assert.Equal(Log(parent), Log(child));
    }

    [Fact]
    public async Task Fork_WithAnOutputEdit_ChangesWhatConditionsRead()
    {
        var parent = await StartAndRunAsync();
        while (_trace.TryDequeue(out _)) { }

        var fork = await _engine.ForkAsync(parent.Id, 2, [CheckpointEdit.Parse("outputs.draft.kind=long")]);
        var child = await RunAsync(fork.Run.Id);

        Assert.Equal(["critic", "revise"], _trace);
        Assert.Equal("long", (string?)child.Graph["outputs"]!["draft"]!["kind"]);
    }

    [Fact]
    public void Edits_ParseJsonValues_AndKeepOtherTextAsStrings()
    {
        Assert.Equal(3, CheckpointEdit.Parse("n=3").Value!.GetValue<int>());
        Assert.True(CheckpointEdit.Parse("ok=true").Value!.GetValue<bool>());
        Assert.Equal("""{"a":1}""", CheckpointEdit.Parse("""o={"a":1}""").Value!.ToJsonString());
        Assert.Equal("revise", CheckpointEdit.Parse("verdict=revise").Value!.GetValue<string>());
        Assert.Equal("a=b", CheckpointEdit.Parse("x=a=b").Value!.GetValue<string>());
        Assert.Throws<OrchestraException>(() => CheckpointEdit.Parse("novalue"));
        Assert.Throws<OrchestraException>(() => CheckpointEdit.Parse("a..b=1"));
    }

    [Fact]
    public async Task Fork_RefusesAnEditThroughAValueThatIsNotAnObject()
    {
        var parent = await StartAndRunAsync();

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ForkAsync(parent.Id, 2, [CheckpointEdit.Parse("path.x=1")]).AsTask());

        Assert.Contains("'path' holds a string", ex.Message, StringComparison.Ordinal);
        Assert.Single(await _store.ListRunsAsync(10));
    }

    [Fact]
    public async Task Replay_RefusesUnknownRunsCheckpointsOutOfRangeAndRunsOfOtherKinds()
    {
        var run = await StartAndRunAsync();
        var task = await _engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Name = "plan", Steps = [] });

        var unknown = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ReplayAsync("r000000000000", 1).AsTask());
        var range = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ReplayAsync(run.Id, 9).AsTask());
        var zero = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ForkAsync(run.Id, 0).AsTask());
        var plan = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ReplayAsync(task.Run.Id, 1).AsTask());

        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
        Assert.Contains("has checkpoints 1 to 4, not 9", range.Message, StringComparison.Ordinal);
        Assert.Contains("not 0", zero.Message, StringComparison.Ordinal);
        Assert.Contains("only pipeline and graph runs can be replayed", plan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_RefusesARunWithAStepStillRunning_AndChangesNothing()
    {
        var submission = await _engine.StartGraphAsync("review", new JsonObject { ["path"] = "left" });
        var claimed = await _engine.ClaimAsync("w1", 1);
        Assert.Single(claimed);

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => _engine.ReplayAsync(submission.Run.Id, 1).AsTask());

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains("has 1 step running", ex.Message, StringComparison.Ordinal);
        Assert.Single(await _store.ListCheckpointsAsync(submission.Run.Id));
        Assert.Equal(StepStatus.Running, (await _store.GetStepAsync(claimed[0].Id))!.Status);
    }

    [Fact]
    public async Task Replay_ToTheLastCheckpointOfAFinishedRun_FinishesItAgainAtOnce()
    {
        var run = await StartAndRunAsync();

        var replay = await _engine.ReplayAsync(run.Id, 4);

        Assert.Equal(RunStatus.Completed, replay.Run.Status);
        Assert.Empty(replay.Steps);
        Assert.Empty(replay.Superseded);
    }
}
