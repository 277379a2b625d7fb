using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Graphs;

/// <summary>
/// <see cref="EngineOptions.GraphResolver"/>: a graph run started by one engine is continued by another (another
/// process) that finds the definition from the source the run recorded, together with agents only the graph brings.
/// </summary>
public class GraphResolverTests
{
    private static readonly JsonObject Source = new() { ["kind"] = "test", ["path"] = "/graphs/chain.yaml", ["sha256"] = "abc" };
    private readonly InMemoryStore _store = new();

    private static GraphDefinition Chain() => new GraphBuilder("chain")
        .AddNode("a", "chain:a", _ => "first")
        .AddNode("b", "chain:b", c => $"after {c.Outputs["a"]}")
        .AddEdge(GraphDefinition.Start, "a").AddEdge("a", "b").AddEdge("b", GraphDefinition.End)
        .Build();

    private OrchestraEngine Engine(IAgentResolver agents, Func<RunRecord, GraphDefinition?>? resolver = null) =>
        new(_store, agents, new EngineOptions { GraphResolver = resolver, Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });

    /// <summary>Submits the chain with its source from an engine that knows the graph by name, then lets that "process" end.</summary>
    private async Task<string> StartElsewhereAsync()
    {
        var first = Engine(new AgentRegistry([FuncAgent.Echo("chain:a"), FuncAgent.Echo("chain:b")]));
        first.Graphs.Register(Chain());
        var submission = await first.SubmitAsync(new RunSpec { Kind = RunKinds.Graph, Name = "chain", GraphSource = Source });
        return submission.Run.Id;
    }

    private static async Task RunUntilIdleAsync(OrchestraEngine engine)
    {
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = 2, UntilIdle = true });
        await worker.RunAsync();
    }

    [Fact]
    public async Task Submit_WithAGraphSource_RecordsItInTheRunsGraphBookkeeping()
    {
        var runId = await StartElsewhereAsync();

        var run = await _store.GetRunAsync(runId);
        Assert.True(JsonNode.DeepEquals(Source, run!.Graph[OrchestraEngine.GraphSourceKey]));
    }

    [Fact]
    public async Task AnotherEngine_WithoutTheGraphRegistered_ContinuesTheRunThroughTheResolverAndItsAgents()
    {
        var runId = await StartElsewhereAsync();
        // The second process knows neither the graph nor its agents until it resolves the run.
        var agents = new AgentRegistry();
        var seen = new List<RunRecord>();
        var engine = Engine(agents, run =>
        {
            seen.Add(run);
            agents.Add(FuncAgent.Echo("chain:a")).Add(FuncAgent.Echo("chain:b"));
            return Chain();
        });

        await RunUntilIdleAsync(engine);

        var finished = (await _store.GetRunAsync(runId))!;
        Assert.Equal(RunStatus.Completed, finished.Status);
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = runId });
        Assert.Equal(["a", "b"], steps.OrderBy(s => s.CreatedAt).Select(s => s.Node));
        Assert.Equal("after first", steps.Single(s => s.Node == "b").Prompt);
        // Resolved once for the run, from the source it recorded.
        var asked = Assert.Single(seen);
        Assert.Equal(runId, asked.Id);
        Assert.True(JsonNode.DeepEquals(Source, asked.Graph[OrchestraEngine.GraphSourceKey]));
    }

    [Fact]
    public async Task Resolver_IsAskedBeforeTheCatalog_SoARunKeepsTheGraphOfItsOwnSource()
    {
        var runId = await StartElsewhereAsync();
        var agents = new AgentRegistry([FuncAgent.Echo("chain:a"), FuncAgent.Echo("chain:b"), FuncAgent.Echo("other")]);
        var engine = Engine(agents, _ => Chain());
        // A different graph of the same name registered in this process must not be used for the recorded run.
        engine.Graphs.Register(new GraphBuilder("chain").AddNode("a", "chain:a").AddNode("x", "other")
            .AddEdge(GraphDefinition.Start, "a").AddEdge("a", "x").AddEdge("x", GraphDefinition.End).Build());

        await RunUntilIdleAsync(engine);

        var steps = await _store.ListStepsAsync(new StepQuery { RunId = runId });
        Assert.Equal(["a", "b"], steps.OrderBy(s => s.CreatedAt).Select(s => s.Node));
    }

    [Fact]
    public async Task Resolver_ThatRefusesTheSource_FailsTheRunWithItsMessageAndCreatesNoFurtherStep()
    {
        var runId = await StartElsewhereAsync();
        const string Why = "run was started from /graphs/chain.yaml, which has changed since: restore it";
        var engine = Engine(new AgentRegistry([FuncAgent.Echo("chain:a"), FuncAgent.Echo("chain:b")]),
            _ => throw new OrchestraException(Why, ErrorKind.Conflict));

        await RunUntilIdleAsync(engine);

        var run = (await _store.GetRunAsync(runId))!;
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(Why, run.Error);
        var steps = await _store.ListStepsAsync(new StepQuery { RunId = runId });
        Assert.Equal(["a"], steps.Select(s => s.Node));
    }

    [Fact]
    public async Task StepOfAnAgentOnlyTheRefusedGraphBrings_FailsWithTheResolversMessage()
    {
        var runId = await StartElsewhereAsync();
        const string Why = "the pipeline file is gone: restore it";
        var engine = Engine(new AgentRegistry(), _ => throw new OrchestraException(Why, ErrorKind.NotFound));

        await RunUntilIdleAsync(engine);

        var step = Assert.Single(await _store.ListStepsAsync(new StepQuery { RunId = runId }));
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(Why, step.Error);
        Assert.Equal(RunStatus.Failed, (await _store.GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task FindGraph_WithoutAResolver_FallsBackToTheCatalogByName()
    {
        var runId = await StartElsewhereAsync();
        var engine = Engine(new AgentRegistry());
        engine.Graphs.Register(Chain());

        var graph = engine.FindGraph((await _store.GetRunAsync(runId))!);

        Assert.NotNull(graph);
        Assert.Equal("chain", graph.Name);
    }
}
