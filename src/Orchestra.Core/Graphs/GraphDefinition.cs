using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.State;

namespace Orchestra.Core.Graphs;

/// <summary>How a fan-in edge waits for its sources.</summary>
public enum JoinMode
{
    /// <summary>Fires once every source has completed (the default).</summary>
    All,
    /// <summary>Fires on the first source to complete; the others of the same wave are absorbed.</summary>
    Any,
}

/// <summary>What a condition or a prompt template sees.</summary>
public sealed class GraphContext
{
    /// <summary>Creates a context.</summary>
    public GraphContext(JsonObject state, JsonObject outputs, string? fromNode, string? route)
    {
        State = state;
        Outputs = outputs;
        FromNode = fromNode;
        Route = route;
    }

    /// <summary>The run's state document after the completed step's delta.</summary>
    public JsonObject State { get; }

    /// <summary>The latest output of every node that has completed: its structured data, or its text.</summary>
    public JsonObject Outputs { get; }

    /// <summary>The node whose completion fired the edge; null for edges from START.</summary>
    public string? FromNode { get; }

    /// <summary>The route the completed step's agent chose, if any.</summary>
    public string? Route { get; }
}

/// <summary>A node: an agent invocation or a C# function.</summary>
public sealed record GraphNode
{
    /// <summary>Unique name within the graph.</summary>
    public required string Name { get; init; }

    /// <summary>The agent that executes the node, when it is not a function.</summary>
    public string? Agent { get; init; }

    /// <summary>A C# function executing the node in process.</summary>
    public Func<AgentContext, CancellationToken, ValueTask<AgentResult>>? Handler { get; init; }

    /// <summary>
    /// The <see cref="Handler"/> starts on the worker's own loop rather than on a pool thread, saving two thread
    /// hand-offs per node: it runs there until its first <c>await</c> that does not complete at once. Set it to false
    /// for a function that blocks or computes for long before it awaits anything. Ignored for agent nodes.
    /// <value>The default value is true.</value>
    /// </summary>
    public bool Inline { get; init; } = true;

    /// <summary>Builds the node's prompt from the context; null gives an empty prompt.</summary>
    public Func<GraphContext, string>? Prompt { get; init; }

    /// <summary>Attempts allowed. <value>The default value is 1.</value></summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Time allowed per attempt, or null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Scheduling priority.</summary>
    public int Priority { get; init; }

    /// <summary>
    /// A person approves the node's result before its edges fire: the step waits with its result kept
    /// (see <see cref="Engine.OrchestraEngine.ApproveAsync"/>). <value>The default value is false.</value>
    /// </summary>
    public bool Approve { get; init; }

    /// <summary>What rejecting the node's result does. <value>The default value is <see cref="RejectAction.Fail"/>.</value></summary>
    public RejectAction OnReject { get; init; }

    /// <summary>
    /// The node's agent talks with a person: after each reply the step waits for a message, and the agent continues
    /// the same session with it until the person says it is done (see <see cref="Engine.OrchestraEngine.PostHumanMessageAsync"/>).
    /// <value>The default value is false.</value>
    /// </summary>
    public bool Interactive { get; init; }
}

/// <summary>What rejecting a node's result does.</summary>
public enum RejectAction
{
    /// <summary>The step fails with the reason as its error (the default).</summary>
    Fail,
    /// <summary>The node runs again with the reason as feedback, and waits for approval again.</summary>
    Revise,
}

/// <summary>An edge: when its sources complete (and its condition holds) it activates its targets.</summary>
public sealed record GraphEdge
{
    /// <summary>Stable id within the graph, used for loop and join bookkeeping.</summary>
    public required string Id { get; init; }

    /// <summary>Source nodes; more than one makes a fan-in (see <see cref="Join"/>). May be <see cref="GraphDefinition.Start"/>.</summary>
    public required IReadOnlyList<string> From { get; init; }

    /// <summary>Target nodes; more than one is a fan-out. May include <see cref="GraphDefinition.End"/>.</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>How a fan-in waits.</summary>
    public JoinMode Join { get; init; }

    /// <summary>Fires only when this returns true; null always fires.</summary>
    public Func<GraphContext, bool>? Condition { get; init; }

    /// <summary>How many times this edge may fire in one run, or null for no bound (only for edges that make no cycle).</summary>
    public int? MaxLoops { get; init; }

    /// <summary>Where to go instead once <see cref="MaxLoops"/> is spent; without it the run fails naming the loop.</summary>
    public string? Fallback { get; init; }

    /// <summary>
    /// A person approves before the targets start: each target's step is created waiting and becomes ready once
    /// approved. <value>The default value is false.</value>
    /// </summary>
    public bool Approve { get; init; }
}

/// <summary>A graph defined in C#: nodes, edges and the reducers of its state keys.</summary>
public sealed class GraphDefinition
{
    /// <summary>The virtual source node.</summary>
    public const string Start = "START";

    /// <summary>The virtual sink node.</summary>
    public const string End = "END";

    internal GraphDefinition(string name, IReadOnlyDictionary<string, GraphNode> nodes, IReadOnlyList<GraphEdge> edges, IReadOnlyDictionary<string, Reducer> reducers)
    {
        Name = name;
        Nodes = nodes;
        Edges = edges;
        Reducers = reducers;
        var outgoing = new Dictionary<string, List<GraphEdge>>(StringComparer.Ordinal);
        foreach (var edge in edges)
        {
            foreach (var from in edge.From)
            {
                if (!outgoing.TryGetValue(from, out var list))
                    outgoing[from] = list = [];
                list.Add(edge);
            }
        }
        Outgoing = outgoing;
    }

    /// <summary>The graph's name; runs refer to it.</summary>
    public string Name { get; }

    /// <summary>Nodes by name.</summary>
    public IReadOnlyDictionary<string, GraphNode> Nodes { get; }

    /// <summary>Edges in declaration order.</summary>
    public IReadOnlyList<GraphEdge> Edges { get; }

    /// <summary>Reducers of the state keys; keys not listed are replaced.</summary>
    public IReadOnlyDictionary<string, Reducer> Reducers { get; }

    internal IReadOnlyDictionary<string, List<GraphEdge>> Outgoing { get; }

    /// <summary>The agent name a step of <paramref name="node"/> runs under.</summary>
    public string AgentFor(GraphNode node) => node.Agent ?? FunctionAgentName(Name, node.Name);

    internal static string FunctionAgentName(string graph, string node) => $"graph:{graph}:{node}";
}
