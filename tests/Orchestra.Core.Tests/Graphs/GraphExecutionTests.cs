using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.State;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Graphs;

public class GraphExecutionTests
{
    private readonly InMemoryStore _store = new();
    private readonly ConcurrentQueue<string> _trace = new();

    private OrchestraEngine Engine(params Agent[] agents) =>
        new(_store, new AgentRegistry(agents), new EngineOptions { Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });

    private ValueTask<AgentResult> Node(AgentContext c, string name, JsonObject? delta = null, string? route = null)
    {
        _trace.Enqueue(name);
        return ValueTask.FromResult(new AgentResult { Outcome = AgentOutcome.Succeeded, Output = name, StateDelta = delta, Route = route });
    }

    private async Task<RunRecord> RunToEndAsync(OrchestraEngine engine, string graph, JsonObject? state = null)
    {
        var submission = await engine.StartGraphAsync(graph, state);
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 4, UntilIdle = true });
        await worker.RunAsync();
        return (await _store.GetRunAsync(submission.Run.Id))!;
    }

    [Fact]
    public async Task Chain_RunsNodesInOrderAndCompletes()
    {
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("chain")
            .AddNode("a", (c, _) => Node(c, "a"))
            .AddNode("b", (c, _) => Node(c, "b"))
            .AddNode("c", (c, _) => Node(c, "c"))
            .AddEdge(GraphDefinition.Start, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", GraphDefinition.End)
            .Build());

        var run = await RunToEndAsync(engine, "chain");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["a", "b", "c"], _trace);
    }

    [Fact]
    public async Task AnInlineNodeWaitingOnAnother_LeavesTheWorkerFreeToStartIt()
    {
        // b1 starts on the worker's loop and waits for b2; were the loop held by b1, b2 would never start.
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("wait")
            .AddNode("b1", async (c, ct) =>
            {
                await released.Task.WaitAsync(ct);
                return await Node(c, "b1");
            })
            .AddNode("b2", (c, _) =>
            {
                released.TrySetResult();
                return Node(c, "b2");
            }, inline: false)
            .AddNode("b3", (c, _) => Node(c, "b3"))
            .AddNode("join", (c, _) => Node(c, "join"))
            .AddEdge(GraphDefinition.Start, ["b1", "b2", "b3"])
            .AddJoin(["b1", "b2", "b3"], "join")
            .AddEdge("join", GraphDefinition.End)
            .Build());

        var run = await RunToEndAsync(engine, "wait").WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["b1", "b2", "b3"], _trace.Take(3).Order());
        Assert.Equal("join", _trace.Last());
    }

    [Fact]
    public async Task FanOutAndJoinAll_RunsTheJoinOnceAfterEveryBranch()
    {
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("fan")
            .AddNode("split", (c, _) => Node(c, "split"))
            .AddNode("b1", (c, _) => Node(c, "b1", new JsonObject { ["notes"] = "from b1" }))
            .AddNode("b2", (c, _) => Node(c, "b2", new JsonObject { ["notes"] = "from b2" }))
            .AddNode("b3", (c, _) => Node(c, "b3", new JsonObject { ["notes"] = "from b3" }))
            .AddNode("join", (c, _) => Node(c, "join"))
            .AddEdge(GraphDefinition.Start, "split")
            .AddEdge("split", "b1", "b2", "b3")
            .AddJoin(["b1", "b2", "b3"], "join")
            .WithReducer("notes", Reducer.Append)
            .Build());

        var run = await RunToEndAsync(engine, "fan");

        Assert.Equal(RunStatus.Completed, run.Status);
        var trace = _trace.ToList();
        Assert.Equal(1, trace.Count(t => t == "join"));
        Assert.Equal("join", trace[^1]);
        Assert.Equal(3, run.State["notes"]!.AsArray().Count);
    }

    [Fact]
    public async Task JoinAny_FiresOnTheFirstBranchOnly()
    {
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("any")
            .AddNode("b1", (c, _) => Node(c, "b1"))
            .AddNode("b2", (c, _) => Node(c, "b2"))
            .AddNode("first", (c, _) => Node(c, "first"))
            .AddEdge(GraphDefinition.Start, "b1", "b2")
            .AddJoin(["b1", "b2"], "first", JoinMode.Any)
            .Build());

        var run = await RunToEndAsync(engine, "any");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(1, _trace.Count(t => t == "first"));
    }

    [Fact]
    public async Task ConditionalLoop_RevisesUntilTheCriticApproves()
    {
        var reviews = 0;
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("loop")
            .AddNode("writer", (c, _) => Node(c, "writer"), prompt: ctx => $"draft after {ctx.FromNode ?? "start"}")
            .AddNode("critic", (c, _) => Node(c, "critic", route: Interlocked.Increment(ref reviews) < 3 ? "revise" : "approve"))
            .AddEdge(GraphDefinition.Start, "writer")
            .AddEdge("writer", "critic")
            .AddConditionalEdge("critic", "writer", ctx => ctx.Route == "revise", maxLoops: 5)
            .AddConditionalEdge("critic", GraphDefinition.End, ctx => ctx.Route == "approve")
            .Build());

        var run = await RunToEndAsync(engine, "loop");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["writer", "critic", "writer", "critic", "writer", "critic"], _trace);
        var writers = await _store.ListStepsAsync(new StepQuery { RunId = run.Id, Node = "writer" });
        Assert.Equal("draft after critic", writers[^1].Prompt);
    }

    [Fact]
    public async Task LoopBeyondMaxLoops_FailsTheRunNamingTheLoop()
    {
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("endless")
            .AddNode("work", (c, _) => Node(c, "work"))
            .AddEdge(GraphDefinition.Start, "work")
            .AddEdge(["work"], ["work"], maxLoops: 2)
            .Build());

        var run = await RunToEndAsync(engine, "endless");

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("work → work exceeded max_loops 2", run.Error, StringComparison.Ordinal);
        Assert.Equal(3, _trace.Count);
    }

    [Fact]
    public async Task LoopBeyondMaxLoops_FollowsItsFallbackEdge()
    {
        var engine = Engine();
        engine.Graphs.Register(new GraphBuilder("fallback")
            .AddNode("work", (c, _) => Node(c, "work"))
            .AddNode("giveup", (c, _) => Node(c, "giveup"))
            .AddEdge(GraphDefinition.Start, "work")
            .AddEdge(["work"], ["work"], maxLoops: 1, fallback: "giveup")
            .Build());

        var run = await RunToEndAsync(engine, "fallback");

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(["work", "work", "giveup"], _trace);
    }

    [Fact]
    public void Build_RefusesACycleWithoutABound()
    {
        var builder = new GraphBuilder("bad")
            .AddNode("a", "x").AddNode("b", "x")
            .AddEdge(GraphDefinition.Start, "a").AddEdge("a", "b").AddEdge("b", "a");
        var ex = Assert.Throws<OrchestraException>(() => builder.Build());
        Assert.Contains("a → b → a", ex.Message, StringComparison.Ordinal);
        Assert.Contains("max_loops", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NamesAnUnknownNode()
    {
        var builder = new GraphBuilder("bad").AddNode("a", "x").AddEdge(GraphDefinition.Start, "a").AddEdge("a", "ghost");
        var ex = Assert.Throws<OrchestraException>(() => builder.Build());
        Assert.Contains("unknown node 'ghost'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentNodes_RunThroughTheRegisteredAgent()
    {
        var echo = FuncAgent.Echo("echo");
        var engine = Engine(echo);
        engine.Graphs.Register(new GraphBuilder("agents")
            .AddNode("ask", "echo", prompt: ctx => $"topic={ctx.State["topic"]}")
            .AddEdge(GraphDefinition.Start, "ask")
            .Build());

        var run = await RunToEndAsync(engine, "agents", new JsonObject { ["topic"] = "durability" });

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("topic=durability", Assert.Single(echo.Calls).Prompt);
        Assert.Equal("topic=durability", run.Graph["outputs"]!["ask"]!.GetValue<string>());
    }
}
