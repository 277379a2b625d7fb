using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Xunit;

namespace Orchestra.Storage.Tests;

public abstract partial class StoreContractTests
{
    private static CheckpointRecord NewCheckpoint(string runId, long seq, string reason = CheckpointReasons.Step) => new()
    {
        RunId = runId,
        At = T0,
        Seq = seq,
        Reason = reason,
        Steps = ["s1", "s2"],
        Nodes = ["draft", "critic"],
        State = new JsonObject { ["log"] = new JsonArray("a", "b"), ["n"] = seq },
        Graph = new JsonObject { ["outputs"] = new JsonObject { ["draft"] = "text" } },
        Details = reason == CheckpointReasons.Replay ? new JsonObject { ["replayed_to"] = 1 } : null,
    };

    [Fact]
    public async Task Checkpoints_are_numbered_per_run_from_one_and_read_back_whole()
    {
        var a = NewRun();
        var b = NewRun();
        var numbers = await Store.TransactAsync(async tx =>
        {
            await tx.InsertRunAsync(a);
            await tx.InsertRunAsync(b);
            var first = await tx.AppendCheckpointAsync(NewCheckpoint(a.Id, 10));
            var other = await tx.AppendCheckpointAsync(NewCheckpoint(b.Id, 11));
            var second = await tx.AppendCheckpointAsync(NewCheckpoint(a.Id, 12, CheckpointReasons.Replay));
            return new[] { first.Number, other.Number, second.Number };
        });

        Assert.Equal([1, 1, 2], numbers);
        var list = await Store.ListCheckpointsAsync(a.Id);
        Assert.Equal([1, 2], list.Select(c => c.Number));
        var read = await Store.GetCheckpointAsync(a.Id, 2);
        Assert.NotNull(read);
        Assert.Equal(12, read.Seq);
        Assert.Equal(T0, read.At);
        Assert.Equal(CheckpointReasons.Replay, read.Reason);
        Assert.Equal(["s1", "s2"], read.Steps);
        Assert.Equal(["draft", "critic"], read.Nodes);
        Assert.Equal("""{"log":["a","b"],"n":12}""", read.State.ToJsonString());
        Assert.Equal("""{"outputs":{"draft":"text"}}""", read.Graph.ToJsonString());
        Assert.Equal(1, (int?)read.Details!["replayed_to"]);
        Assert.Null((await Store.GetCheckpointAsync(a.Id, 1))!.Details);
        Assert.Null(await Store.GetCheckpointAsync(a.Id, 3));
        Assert.Empty(await Store.ListCheckpointsAsync("r999999999999"));
    }

    [Fact]
    public async Task A_checkpoint_of_a_rolled_back_transaction_is_not_kept_and_deleting_a_run_removes_its_checkpoints()
    {
        var run = NewRun();
        await Store.TransactAsync(async tx => { await tx.InsertRunAsync(run); await tx.AppendCheckpointAsync(NewCheckpoint(run.Id, 1)); return 0; });
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.TransactAsync<int>(async tx =>
        {
            await tx.AppendCheckpointAsync(NewCheckpoint(run.Id, 2));
            throw new InvalidOperationException("rolled back");
        }).AsTask());

        Assert.Single(await Store.ListCheckpointsAsync(run.Id));
        var next = await Store.TransactAsync(async tx => (await tx.AppendCheckpointAsync(NewCheckpoint(run.Id, 3))).Number);
        Assert.Equal(2, next);

        await Store.TransactAsync(async tx => { await tx.DeleteRunAsync(run.Id); return 0; });
        Assert.Empty(await Store.ListCheckpointsAsync(run.Id));
    }

    [Fact]
    public async Task Engine_replays_and_forks_a_graph_run_from_its_stored_checkpoints()
    {
        var engine = new OrchestraEngine(Store, new AgentRegistry([]));
        engine.Graphs.Register(new GraphBuilder("pick")
            .AddNode("choose", (c, _) => ValueTask.FromResult(AgentResult.Success("chose", stateDelta: new JsonObject { ["picked"] = "left" })))
            .AddNode("left", (c, _) => ValueTask.FromResult(AgentResult.Success("went left", stateDelta: new JsonObject { ["went"] = "left" })))
            .AddNode("right", (c, _) => ValueTask.FromResult(AgentResult.Success("went right", stateDelta: new JsonObject { ["went"] = "right" })))
            .AddEdge(GraphDefinition.Start, "choose")
            .AddConditionalEdge("choose", "left", ctx => (string?)ctx.State["picked"] == "left")
            .AddConditionalEdge("choose", "right", ctx => (string?)ctx.State["picked"] == "right")
            .AddEdge("left", GraphDefinition.End)
            .AddEdge("right", GraphDefinition.End)
            .Build());
        var submission = await engine.StartGraphAsync("pick");
        var runId = submission.Run.Id;
        using (var worker = new Worker(engine, new WorkerOptions { Parallelism = 1, UntilIdle = true }))
            await worker.RunAsync();
        Assert.Equal("left", (string?)(await Store.GetRunAsync(runId))!.State["went"]);
        Assert.Equal(3, (await Store.ListCheckpointsAsync(runId)).Count);

        var replay = await engine.ReplayAsync(runId, 2);
        Assert.Equal(["left"], replay.Steps.Select(s => s.Node));
        Assert.Null(replay.Run.State["went"]);
        var fork = await engine.ForkAsync(runId, 2, [CheckpointEdit.Parse("picked=right")]);
        using (var worker = new Worker(engine, new WorkerOptions { Parallelism = 1, UntilIdle = true }))
            await worker.RunAsync();

        var replayed = (await Store.GetRunAsync(runId))!;
        var forked = (await Store.GetRunAsync(fork.Run.Id))!;
        Assert.Equal(RunStatus.Completed, replayed.Status);
        Assert.Equal("left", (string?)replayed.State["went"]);
        Assert.Equal(RunStatus.Completed, forked.Status);
        Assert.Equal("right", (string?)forked.State["went"]);
        Assert.Equal(CheckpointReasons.Fork, (await Store.GetCheckpointAsync(fork.Run.Id, 1))!.Reason);
        var steps = await Store.ListStepsAsync(new StepQuery { RunId = runId });
        Assert.Single(steps, s => s.Status == StepStatus.Superseded);
    }
}
