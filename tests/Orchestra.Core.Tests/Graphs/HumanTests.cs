using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Graphs;

/// <summary>Approval gates on nodes and edges, rejections and interactive agents, driven through the engine's API.</summary>
public class HumanTests
{
    private readonly InMemoryStore _store = new();
    private readonly List<string> _trace = [];

    private OrchestraEngine Engine(GraphDefinition graph, params Agent[] agents)
    {
        var engine = new OrchestraEngine(_store, new AgentRegistry(agents), new EngineOptions { Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });
        engine.Graphs.Register(graph);
        return engine;
    }

    private ValueTask<AgentResult> Node(AgentContext c, string name, JsonObject? delta = null)
    {
        lock (_trace)
            _trace.Add(name);
        return ValueTask.FromResult(new AgentResult { Outcome = AgentOutcome.Succeeded, Output = $"{name}: {c.Prompt}", StateDelta = delta });
    }

    private static async Task DrainAsync(OrchestraEngine engine, string runId)
    {
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 2, UntilIdle = true, RunId = runId });
        await worker.RunAsync();
    }

    private async Task<StepRecord> StepAsync(string runId, string node)
    {
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = runId, Node = node });
        return steps[^1];
    }

    private async Task<List<string>> EventTypesAsync(string runId) =>
        (await _store.ListEventsAsync(runId, 0, 10_000)).Select(e => e.Type).ToList();

    private GraphDefinition GatedChain(RejectAction onReject = RejectAction.Fail) => new GraphBuilder("gated")
        .Add(new GraphNode { Name = "draft", Handler = (c, _) => Node(c, "draft", new JsonObject { ["drafted"] = true }), Approve = true, OnReject = onReject, Prompt = _ => "write" })
        .AddNode("publish", (c, _) => Node(c, "publish"))
        .AddEdge(GraphDefinition.Start, "draft").AddEdge("draft", "publish").AddEdge("publish", GraphDefinition.End)
        .Build();

    [Fact]
    public async Task ApprovalNode_WaitsWithItsResultAndFiresItsEdgesOnceApproved()
    {
        var engine = Engine(GatedChain());
        var run = (await engine.StartGraphAsync("gated")).Run;

        await DrainAsync(engine, run.Id);

        var draft = await StepAsync(run.Id, "draft");
        Assert.Equal(StepStatus.Waiting, draft.Status);
        Assert.Equal("draft: write", draft.Output);
        Assert.Equal(["draft"], _trace);
        var stored = (await _store.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Running, stored.Status);
        Assert.True(OrchestraEngine.IsWaitingForHuman(stored, await _store.SummarizeAsync(run.Id)));
        Assert.False(stored.State.ContainsKey("drafted"));
        var wait = Assert.Single(await engine.ListWaitingAsync(run.Id));
        Assert.Equal(HumanWaitKind.Approval, wait.Kind);
        Assert.Equal("draft: write", wait.Reply);

        var approved = await engine.ApproveAsync(draft.Id, "looks good");
        Assert.Equal(StepStatus.Succeeded, approved.Status);
        await DrainAsync(engine, run.Id);

        stored = (await _store.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Completed, stored.Status);
        Assert.Equal(["draft", "publish"], _trace);
        Assert.True(stored.State["drafted"]!.GetValue<bool>());
        var events = await _store.ListEventsAsync(run.Id, 0, 1000);
        var granted = Assert.Single(events, e => e.Type == EventTypes.ApprovalGranted);
        Assert.Equal("looks good", granted.Data!["comment"]!.GetValue<string>());
        Assert.Equal("approval", Assert.Single(events, e => e.Type == EventTypes.StepWaiting).Data!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reject_FailsTheStepWithTheReasonAndTheRun()
    {
        var engine = Engine(GatedChain());
        var run = (await engine.StartGraphAsync("gated")).Run;
        await DrainAsync(engine, run.Id);
        var draft = await StepAsync(run.Id, "draft");

        var rejected = await engine.RejectAsync(draft.Id, "too long");

        Assert.Equal(StepStatus.Failed, rejected.Status);
        Assert.Equal("rejected by a person: too long", rejected.Error);
        var stored = (await _store.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Failed, stored.Status);
        Assert.Equal(["draft"], _trace);
        var e = Assert.Single(await _store.ListEventsAsync(run.Id, 0, 1000), e => e.Type == EventTypes.ApprovalRejected);
        Assert.Equal("fail", e.Data!["action"]!.GetValue<string>());
        Assert.Equal("too long", e.Data!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reject_WhenTheNodeRevises_RunsItAgainWithTheReasonAndWaitsAgain()
    {
        var engine = Engine(GatedChain(RejectAction.Revise));
        var run = (await engine.StartGraphAsync("gated")).Run;
        await DrainAsync(engine, run.Id);
        var draft = await StepAsync(run.Id, "draft");

        var again = await engine.RejectAsync(draft.Id, "too long");
        Assert.Equal(StepStatus.Ready, again.Status);
        await DrainAsync(engine, run.Id);

        var revised = await StepAsync(run.Id, "draft");
        Assert.Equal(draft.Id, revised.Id);
        Assert.Equal(StepStatus.Waiting, revised.Status);
        Assert.Equal(2, revised.Attempt);
        Assert.StartsWith("write\n\nYour previous result was rejected: too long.", revised.Prompt, StringComparison.Ordinal);
        Assert.Contains("draft: write", revised.Prompt, StringComparison.Ordinal);

        // A second rejection revises from the first prompt, not from the first revision.
        await engine.RejectAsync(draft.Id, "still too long");
        await DrainAsync(engine, run.Id);
        Assert.StartsWith("write\n\nYour previous result was rejected: still too long.", (await StepAsync(run.Id, "draft")).Prompt, StringComparison.Ordinal);

        await engine.ApproveAsync(draft.Id);
        await DrainAsync(engine, run.Id);
        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(run.Id))!.Status);
        Assert.Equal(["draft", "draft", "draft", "publish"], _trace);
    }

    [Fact]
    public async Task ApprovalEdge_HoldsItsTargetsUntilApproved()
    {
        var engine = Engine(new GraphBuilder("held")
            .AddNode("plan", (c, _) => Node(c, "plan"))
            .AddNode("deploy", (c, _) => Node(c, "deploy"))
            .AddNode("notify", (c, _) => Node(c, "notify"))
            .AddEdge(GraphDefinition.Start, "plan")
            .AddEdge(["plan"], ["deploy", "notify"], approve: true)
            .AddEdge(["deploy"], [GraphDefinition.End])
            .AddEdge(["notify"], [GraphDefinition.End])
            .Build());
        var run = (await engine.StartGraphAsync("held")).Run;

        await DrainAsync(engine, run.Id);

        Assert.Equal(["plan"], _trace);
        var waits = await engine.ListWaitingAsync(run.Id);
        Assert.Equal(["deploy", "notify"], waits.Select(w => w.Step.Node).Order());
        Assert.All(waits, w => Assert.Equal(HumanWaitKind.Start, w.Kind));
        Assert.All(waits, w => Assert.Null(w.Reply));

        var deploy = waits.Single(w => w.Step.Node == "deploy").Step;
        var notify = waits.Single(w => w.Step.Node == "notify").Step;
        Assert.Equal(StepStatus.Ready, (await engine.ApproveAsync(deploy.Id)).Status);
        await DrainAsync(engine, run.Id);
        Assert.Equal(["plan", "deploy"], _trace);
        Assert.True(OrchestraEngine.IsWaitingForHuman((await _store.GetRunAsync(run.Id))!, await _store.SummarizeAsync(run.Id)));

        await engine.RejectAsync(notify.Id, "not now");
        Assert.Equal(RunStatus.Failed, (await _store.GetRunAsync(run.Id))!.Status);
        Assert.Equal(["plan", "deploy"], _trace);
    }

    [Fact]
    public async Task InteractiveAgent_WaitsAfterEachReplyAndContinuesItsSessionWithEveryMessage()
    {
        var chat = new ChatLikeAgent("chat");
        var engine = Engine(new GraphBuilder("talk")
            .Add(new GraphNode { Name = "talk", Agent = "chat", Interactive = true, Prompt = _ => "hello" })
            .AddNode("after", (c, _) => Node(c, "after"))
            .AddEdge(GraphDefinition.Start, "talk").AddEdge("talk", "after").AddEdge("after", GraphDefinition.End)
            .Build(), chat);
        var run = (await engine.StartGraphAsync("talk")).Run;

        await DrainAsync(engine, run.Id);
        var talk = await StepAsync(run.Id, "talk");
        Assert.Equal(StepStatus.Waiting, talk.Status);
        Assert.Equal("1: hello", talk.Output);
        Assert.Equal(talk.Id, talk.Input!["session"]!.GetValue<string>());

        await engine.PostHumanMessageAsync(talk.Id, "make it shorter");
        await DrainAsync(engine, run.Id);
        var wait = Assert.Single(await engine.ListWaitingAsync(run.Id));
        Assert.Equal(HumanWaitKind.Message, wait.Kind);
        Assert.Equal(2, wait.Turns);
        Assert.Equal("2: make it shorter (after hello)", wait.Reply);

        await engine.PostHumanMessageAsync(talk.Id, "thanks");
        await DrainAsync(engine, run.Id);
        Assert.Equal("3: thanks (after hello, make it shorter)", (await StepAsync(run.Id, "talk")).Output);
        Assert.Empty(_trace);

        var done = await engine.FinishInteractiveAsync(talk.Id);
        Assert.Equal(StepStatus.Succeeded, done.Status);
        await DrainAsync(engine, run.Id);

        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(run.Id))!.Status);
        Assert.Equal(["after"], _trace);
        var session = (await _store.GetSessionAsync(talk.Id))!;
        Assert.Equal(3, session.Turns);
        var types = await EventTypesAsync(run.Id);
        Assert.Equal(3, types.Count(t => t == EventTypes.StepWaiting));
        Assert.Equal(2, types.Count(t => t == EventTypes.HumanMessage));
        Assert.Single(types, t => t == EventTypes.HumanDone);
        var messages = (await _store.ListEventsAsync(run.Id, 0, 1000)).Where(e => e.Type == EventTypes.HumanMessage).ToList();
        Assert.Equal(["make it shorter", "thanks"], messages.Select(m => m.Data!["text"]!.GetValue<string>()));
    }

    [Fact]
    public async Task InteractiveAgentWithApproval_WaitsForTheApprovalAfterDone()
    {
        var chat = new ChatLikeAgent("chat");
        var engine = Engine(new GraphBuilder("talk")
            .Add(new GraphNode { Name = "talk", Agent = "chat", Interactive = true, Approve = true, Prompt = _ => "hello" })
            .AddEdge(GraphDefinition.Start, "talk").AddEdge("talk", GraphDefinition.End)
            .Build(), chat);
        var run = (await engine.StartGraphAsync("talk")).Run;
        await DrainAsync(engine, run.Id);
        var talk = await StepAsync(run.Id, "talk");

        var ex = await Assert.ThrowsAsync<OrchestraException>(async () => await engine.ApproveAsync(talk.Id));
        Assert.Contains("interactive agent", ex.Message, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Waiting, (await engine.FinishInteractiveAsync(talk.Id)).Status);
        Assert.Equal(HumanWaitKind.Approval, Assert.Single(await engine.ListWaitingAsync(run.Id)).Kind);

        await engine.ApproveAsync(talk.Id);
        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(run.Id))!.Status);
        Assert.Equal("1: hello", (await StepAsync(run.Id, "talk")).Output);
    }

    [Fact]
    public async Task HumanActions_OnTheWrongStep_FailWithOneLineThatSaysWhatToDo()
    {
        var chat = new ChatLikeAgent("chat");
        var engine = Engine(new GraphBuilder("mixed")
            .Add(new GraphNode { Name = "talk", Agent = "chat", Interactive = true, Prompt = _ => "hello" })
            .Add(new GraphNode { Name = "gate", Handler = (c, _) => Node(c, "gate"), Approve = true })
            .AddEdge(GraphDefinition.Start, "talk", "gate").AddEdge("talk", GraphDefinition.End).AddEdge("gate", GraphDefinition.End)
            .Build(), chat);
        var run = (await engine.StartGraphAsync("mixed")).Run;
        await DrainAsync(engine, run.Id);
        var talk = await StepAsync(run.Id, "talk");
        var gate = await StepAsync(run.Id, "gate");

        var messages = new List<string>
        {
            (await Assert.ThrowsAsync<OrchestraException>(async () => await engine.PostHumanMessageAsync(gate.Id, "hi"))).Message,
            (await Assert.ThrowsAsync<OrchestraException>(async () => await engine.FinishInteractiveAsync(gate.Id))).Message,
            (await Assert.ThrowsAsync<OrchestraException>(async () => await engine.RejectAsync(talk.Id, "no"))).Message,
            (await Assert.ThrowsAsync<OrchestraException>(async () => await engine.PostHumanMessageAsync(talk.Id, "  "))).Message,
            (await Assert.ThrowsAsync<OrchestraException>(async () => await engine.ApproveAsync("s0000000000000"))).Message,
        };
        await engine.ApproveAsync(gate.Id);
        messages.Add((await Assert.ThrowsAsync<OrchestraException>(async () => await engine.ApproveAsync(gate.Id))).Message);

        Assert.Contains("waits for approval of its result, not a message", messages[0], StringComparison.Ordinal);
        Assert.Contains("is not a conversation", messages[1], StringComparison.Ordinal);
        Assert.Contains("/done finishes it", messages[2], StringComparison.Ordinal);
        Assert.Contains("The message is empty", messages[3], StringComparison.Ordinal);
        Assert.Contains("No step s0000000000000", messages[4], StringComparison.Ordinal);
        Assert.Contains("is succeeded, not waiting for a person", messages[5], StringComparison.Ordinal);
        Assert.All(messages, m => Assert.DoesNotContain('\n', m));
    }

    [Fact]
    public async Task WaitingRun_ResumesInANewEngineOverTheSameStore()
    {
        var chat = new ChatLikeAgent("chat");
        GraphDefinition Graph() => new GraphBuilder("talk")
            .Add(new GraphNode { Name = "talk", Agent = "chat", Interactive = true, Prompt = _ => "hello" })
            .Add(new GraphNode { Name = "gate", Handler = (c, _) => Node(c, "gate"), Approve = true })
            .AddEdge(GraphDefinition.Start, "talk").AddEdge("talk", "gate").AddEdge("gate", GraphDefinition.End)
            .Build();
        var first = Engine(Graph(), chat);
        var run = (await first.StartGraphAsync("talk")).Run;
        await DrainAsync(first, run.Id);
        var talk = await StepAsync(run.Id, "talk");
        await first.PostHumanMessageAsync(talk.Id, "more");

        // The process dies with the message recorded but not yet answered; another one picks the run up.
        var second = Engine(Graph(), chat);
        await DrainAsync(second, run.Id);
        Assert.Equal("2: more (after hello)", (await StepAsync(run.Id, "talk")).Output);
        var third = Engine(Graph(), chat);
        await third.FinishInteractiveAsync(talk.Id);
        await DrainAsync(third, run.Id);
        var gate = await StepAsync(run.Id, "gate");
        Assert.Equal(StepStatus.Waiting, gate.Status);

        var fourth = Engine(Graph(), chat);
        await fourth.ApproveAsync(gate.Id);
        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(run.Id))!.Status);
        Assert.Equal(["gate"], _trace);
    }

    /// <summary>Answers with its turn number and the earlier messages of its session, as a chat model continuing a conversation would.</summary>
    private sealed class ChatLikeAgent(string name) : Agent(name)
    {
        protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
        {
            var sessionId = context.Step.Input?["session"]?.GetValue<string>();
            var session = sessionId is null ? null : await context.LoadSessionAsync(sessionId, cancellationToken);
            var earlier = session?.Messages.Select(m => m!.GetValue<string>()).ToList() ?? [];
            var turn = (session?.Turns ?? 0) + 1;
            var reply = earlier.Count == 0 ? $"{turn}: {context.Prompt}" : $"{turn}: {context.Prompt} (after {string.Join(", ", earlier)})";
            return AgentResult.Success(reply) with
            {
                Session = sessionId is null ? null : new SessionRecord
                {
                    Id = sessionId,
                    Agent = Name,
                    Messages = new JsonArray([.. earlier.Select(e => (JsonNode?)e), context.Prompt]),
                    Turns = turn,
                },
            };
        }
    }
}
