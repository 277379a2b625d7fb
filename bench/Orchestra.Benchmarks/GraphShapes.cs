using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.State;

namespace Orchestra.Benchmarks;

/// <summary>
/// One benchmark graph: its definition, the state a run starts from, how many node runs it makes and how to
/// tell that a run did what it should. bench/langgraph/bench.mjs builds the same graphs in LangGraph.js.
/// </summary>
internal sealed record GraphShape(string Name, GraphDefinition Definition, Func<JsonObject> Input, int Steps, Func<JsonObject, bool> Check);

/// <summary>The three graphs of the comparison, with in-process no-op nodes that update a state key.</summary>
internal sealed class GraphShapes
{
    public const int ChainLength = 10;
    public const int FanWidth = 50;
    public const int Loops = 100;

    private int _executed;

    /// <summary>Node runs since the last <see cref="TakeExecuted"/>: proves every node ran, once.</summary>
    public int TakeExecuted() => Interlocked.Exchange(ref _executed, 0);

    public IReadOnlyList<GraphShape> All => [Chain(), FanOut(), Loop()];

    /// <summary>10 nodes in sequence; each sets <c>count</c> to count + 1.</summary>
    public GraphShape Chain()
    {
        var b = new GraphBuilder("chain");
        for (var n = 0; n < ChainLength; n++)
            b.AddNode($"n{n}", (c, _) => Set("count", Int(c.State, "count") + 1));
        b.AddEdge(GraphDefinition.Start, "n0");
        for (var n = 1; n < ChainLength; n++)
            b.AddEdge($"n{n - 1}", $"n{n}");
        b.AddEdge($"n{ChainLength - 1}", GraphDefinition.End);
        return new GraphShape("chain", b.Build(), () => new JsonObject { ["count"] = 0 }, ChainLength,
            s => Int(s, "count") == ChainLength);
    }

    /// <summary>START → 50 parallel nodes, each appending its name to <c>hits</c> → one join (all).</summary>
    public GraphShape FanOut()
    {
        var b = new GraphBuilder("fanout").WithReducer("hits", Reducer.Append);
        var branches = Enumerable.Range(0, FanWidth).Select(n => $"b{n}").ToArray();
        foreach (var name in branches)
            b.AddNode(name, (_, _) => Set("hits", name));
        b.AddNode("join", (_, _) => Set("hits", "join"));
        b.AddEdge(GraphDefinition.Start, branches);
        b.AddJoin(branches, "join");
        b.AddEdge("join", GraphDefinition.End);
        return new GraphShape("fanout", b.Build(), () => new JsonObject { ["hits"] = new JsonArray() }, FanWidth + 1,
            s => s["hits"] is JsonArray hits && hits.Count == FanWidth + 1);
    }

    /// <summary>One node looping back to itself through a conditional edge until <c>i</c> reaches 100.</summary>
    public GraphShape Loop()
    {
        var b = new GraphBuilder("loop")
            .AddNode("work", (c, _) => Set("i", Int(c.State, "i") + 1))
            .AddEdge(GraphDefinition.Start, "work")
            .AddConditionalEdge("work", "work", ctx => Int(ctx.State, "i") < Loops, maxLoops: Loops)
            .AddConditionalEdge("work", GraphDefinition.End, ctx => Int(ctx.State, "i") >= Loops);
        return new GraphShape("loop", b.Build(), () => new JsonObject { ["i"] = 0 }, Loops, s => Int(s, "i") == Loops);
    }

    private static int Int(JsonObject state, string key) => state[key]?.GetValue<int>() ?? 0;

    private ValueTask<AgentResult> Set(string key, JsonNode value)
    {
        Interlocked.Increment(ref _executed);
        return ValueTask.FromResult(AgentResult.Success(null, stateDelta: new JsonObject { [key] = value }));
    }
}
