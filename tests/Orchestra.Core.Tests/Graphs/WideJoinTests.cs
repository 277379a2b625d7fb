using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.State;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Tests.Graphs;

public class WideJoinTests
{
    private const int Width = 50;

    private readonly InMemoryStore _store = new();
    private readonly ConcurrentQueue<string> _trace = new();

    private ValueTask<AgentResult> Node(string name)
    {
        _trace.Enqueue(name);
        return ValueTask.FromResult(AgentResult.Success(name, stateDelta: new JsonObject { ["hits"] = name }));
    }

    private async Task<RunRecord> RunAsync(GraphDefinition graph, int parallelism)
    {
        var engine = new OrchestraEngine(_store, new AgentRegistry(), graphs: new GraphCatalog().Register(graph));
        var submission = await engine.StartGraphAsync(graph.Name);
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = parallelism, UntilIdle = true, RunId = submission.Run.Id });
        await worker.RunAsync();
        return (await _store.GetRunAsync(submission.Run.Id))!;
    }

    private GraphDefinition FanOutAndJoin(string name, JoinMode join)
    {
        var branches = Enumerable.Range(0, Width).Select(n => $"b{n}").ToArray();
        var builder = new GraphBuilder(name).WithReducer("hits", Reducer.Append);
        foreach (var branch in branches)
            builder.AddNode(branch, (_, _) => Node(branch));
        return builder
            .AddNode("join", (_, _) => Node("join"))
            .AddEdge(GraphDefinition.Start, branches)
            .AddJoin(branches, "join", join)
            .Build();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Width)]
    public async Task JoinAll_OfFiftyBranches_RunsOnceAfterTheLastBranch(int parallelism)
    {
        var run = await RunAsync(FanOutAndJoin("wide", JoinMode.All), parallelism);

        Assert.Equal(RunStatus.Completed, run.Status);
        var trace = _trace.ToList();
        Assert.Equal(Width + 1, trace.Count);
        Assert.Equal("join", trace[^1]);
        Assert.Equal(Width, trace.Take(Width).Distinct().Count());
        Assert.Equal(Width + 1, run.State["hits"]!.AsArray().Count);
        // The join's bookkeeping is cleared once it fired.
        Assert.Null(run.Graph["joins"]?["e1"]);
    }

    [Fact]
    public async Task JoinAny_OfFiftyBranches_RunsOnceAndAbsorbsTheRest()
    {
        var run = await RunAsync(FanOutAndJoin("wide-any", JoinMode.Any), 1);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(1, _trace.Count(t => t == "join"));
        Assert.Equal(Width + 1, _trace.Count);
    }
}
