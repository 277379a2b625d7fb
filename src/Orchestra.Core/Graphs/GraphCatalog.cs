using Orchestra.Core.Agents;

namespace Orchestra.Core.Graphs;

/// <summary>The graphs a process knows, by name; also resolves the function agents of their nodes.</summary>
public sealed class GraphCatalog : IAgentResolver
{
    private readonly Dictionary<string, GraphDefinition> _graphs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _functions = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a graph.</summary>
    public GraphCatalog Register(GraphDefinition graph)
    {
        _graphs[graph.Name] = graph;
        foreach (var node in graph.Nodes.Values)
        {
            if (node.Handler is { } handler)
            {
                var name = GraphDefinition.FunctionAgentName(graph.Name, node.Name);
                _functions[name] = new FunctionAgent(name, handler) { RunsInline = node.Inline };
            }
        }
        return this;
    }

    /// <summary>The graph called <paramref name="name"/>, or null.</summary>
    public GraphDefinition? FindGraph(string name) => _graphs.GetValueOrDefault(name);

    /// <inheritdoc />
    public Agent? Find(string name) => _functions.GetValueOrDefault(name);

    private sealed class FunctionAgent(string name, Func<AgentContext, CancellationToken, ValueTask<AgentResult>> handler) : Agent(name)
    {
        protected override ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken) =>
            handler(context, cancellationToken);
    }
}
