using Orchestra.Core.Agents;
using Orchestra.Core.State;

namespace Orchestra.Core.Graphs;

/// <summary>Builds a <see cref="GraphDefinition"/> and checks it.</summary>
public sealed class GraphBuilder
{
    private readonly string _name;
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<GraphEdge> _edges = [];
    private readonly Dictionary<string, Reducer> _reducers = new(StringComparer.Ordinal);

    /// <summary>Starts a graph called <paramref name="name"/>.</summary>
    public GraphBuilder(string name)
    {
        if (!Model.Ids.IsValidName(name))
            throw new OrchestraException($"'{name}' is not a valid graph name: use letters, digits, '-', '_' or '.'.");
        _name = name;
    }

    /// <summary>Adds a node executed by an agent.</summary>
    public GraphBuilder AddNode(string name, string agent, Func<GraphContext, string>? prompt = null, int maxAttempts = 1, TimeSpan? timeout = null) =>
        Add(new GraphNode { Name = name, Agent = agent, Prompt = prompt, MaxAttempts = maxAttempts, Timeout = timeout });

    /// <summary>
    /// Adds a node executed by a C# function. The function starts on the worker's loop (see <see cref="GraphNode.Inline"/>):
    /// pass <paramref name="inline"/> false when it blocks or computes for long before its first <c>await</c>.
    /// </summary>
    public GraphBuilder AddNode(string name, Func<AgentContext, CancellationToken, ValueTask<AgentResult>> handler, Func<GraphContext, string>? prompt = null, int maxAttempts = 1, bool inline = true) =>
        Add(new GraphNode { Name = name, Handler = handler, Prompt = prompt, MaxAttempts = maxAttempts, Inline = inline });

    /// <summary>Adds a node.</summary>
    public GraphBuilder Add(GraphNode node)
    {
        if (!Model.Ids.IsValidName(node.Name) || node.Name is GraphDefinition.Start or GraphDefinition.End)
            throw new OrchestraException($"'{node.Name}' is not a valid node name in graph '{_name}'.");
        if (!_nodes.TryAdd(node.Name, node))
            throw new OrchestraException($"Node '{node.Name}' is declared twice in graph '{_name}'.");
        if ((node.Agent is null) == (node.Handler is null))
            throw new OrchestraException($"Node '{node.Name}' in graph '{_name}' needs exactly one of an agent or a handler.");
        return this;
    }

    /// <summary>Adds an edge from one node to one or more targets (a fan-out).</summary>
    public GraphBuilder AddEdge(string from, params string[] to) => AddEdge([from], to);

    /// <summary>Adds an edge with every option; <paramref name="approve"/> holds its targets until a person approves.</summary>
    public GraphBuilder AddEdge(
        IReadOnlyList<string> from,
        IReadOnlyList<string> to,
        Func<GraphContext, bool>? condition = null,
        JoinMode join = JoinMode.All,
        int? maxLoops = null,
        string? fallback = null,
        bool approve = false)
    {
        _edges.Add(new GraphEdge
        {
            Id = $"e{_edges.Count}",
            From = from.ToArray(),
            To = to.ToArray(),
            Condition = condition,
            Join = join,
            MaxLoops = maxLoops,
            Fallback = fallback,
            Approve = approve,
        });
        return this;
    }

    /// <summary>Adds a conditional edge.</summary>
    public GraphBuilder AddConditionalEdge(string from, string to, Func<GraphContext, bool> condition, int? maxLoops = null, string? fallback = null) =>
        AddEdge([from], [to], condition, JoinMode.All, maxLoops, fallback);

    /// <summary>Adds a fan-in edge.</summary>
    public GraphBuilder AddJoin(IReadOnlyList<string> from, string to, JoinMode join = JoinMode.All) =>
        AddEdge(from, [to], join: join);

    /// <summary>Declares how a state key combines values.</summary>
    public GraphBuilder WithReducer(string key, Reducer reducer)
    {
        _reducers[key] = reducer;
        return this;
    }

    /// <summary>Checks the graph and returns it.</summary>
    public GraphDefinition Build()
    {
        bool Known(string n, bool source) => _nodes.ContainsKey(n) || (source ? n == GraphDefinition.Start : n == GraphDefinition.End);
        foreach (var e in _edges)
        {
            if (e.From.Count == 0 || e.To.Count == 0)
                throw new OrchestraException($"Edge {e.Id} of graph '{_name}' needs at least one source and one target.");
            foreach (var f in e.From.Where(f => !Known(f, true)))
                throw new OrchestraException($"Edge {e.Id} of graph '{_name}' starts at unknown node '{f}'. Known nodes: {string.Join(", ", _nodes.Keys)}.");
            foreach (var t in e.To.Where(t => !Known(t, false)))
                throw new OrchestraException($"Edge {e.Id} of graph '{_name}' goes to unknown node '{t}'. Known nodes: {string.Join(", ", _nodes.Keys)}.");
            if (e.Fallback is { } fb && !Known(fb, false))
                throw new OrchestraException($"Edge {e.Id} of graph '{_name}' falls back to unknown node '{fb}'.");
            if (e.MaxLoops is < 0)
                throw new OrchestraException($"Edge {e.Id} of graph '{_name}' has a negative max_loops.");
        }
        if (!_edges.Any(e => e.From.Contains(GraphDefinition.Start)))
            throw new OrchestraException($"Graph '{_name}' has no edge from START.");
        var unbounded = FindUnboundedCycle();
        if (unbounded is not null)
            throw new OrchestraException($"Graph '{_name}' has a cycle without a bound through {unbounded}: give one of its edges max_loops.");
        return new GraphDefinition(_name, new Dictionary<string, GraphNode>(_nodes), _edges.ToArray(), new Dictionary<string, Reducer>(_reducers));
    }

    private string? FindUnboundedCycle()
    {
        // A cycle is bounded when one of its edges has max_loops: search cycles over unbounded edges only.
        var next = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var e in _edges.Where(e => e.MaxLoops is null))
        {
            foreach (var f in e.From)
            {
                if (!next.TryGetValue(f, out var list))
                    next[f] = list = [];
                list.AddRange(e.To);
            }
        }
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        string? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var m in next.GetValueOrDefault(n) ?? [])
            {
                var s = state.GetValueOrDefault(m);
                if (s == 1)
                    return string.Join(" → ", path.Skip(path.IndexOf(m)).Append(m));
                if (s == 0 && Visit(m) is { } found)
                    return found;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in next.Keys)
        {
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } cycle)
                return cycle;
        }
        return null;
    }
}
