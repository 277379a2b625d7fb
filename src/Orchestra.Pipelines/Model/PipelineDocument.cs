using System.Text.Json.Nodes;
using Orchestra.Core.Graphs;
using Orchestra.Core.State;
using Orchestra.Workspace;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines.Model;

/// <summary>
/// A pipeline file as written, checked against the schema but not yet compiled. Every part keeps its JSON path
/// (<c>At</c>) so that later checks can name <c>file:line:column</c>.
/// </summary>
public sealed class PipelineDocument
{
    /// <summary>The parsed file.</summary>
    public required YamlSource Source { get; init; }

    /// <summary>The pipeline's name: <c>name:</c>, else the file name (the folder's name for <c>pipeline.yaml</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The optional <c>description:</c>.</summary>
    public string? Description { get; init; }

    /// <summary>Provider profiles declared in the file, by name (same fields as <c>providers.yaml</c>).</summary>
    public IReadOnlyDictionary<string, ProviderSpec> Providers { get; init; } = new Dictionary<string, ProviderSpec>();

    /// <summary>Repositories the pipeline works in.</summary>
    public IReadOnlyList<PipelineRepo> Repos { get; init; } = [];

    /// <summary>Shell tools declared in the file, by name (same fields as <c>tools:</c> in <c>config.yaml</c>).</summary>
    public IReadOnlyDictionary<string, JsonObject> Tools { get; init; } = new Dictionary<string, JsonObject>();

    /// <summary>Agents, in the order written.</summary>
    public IReadOnlyList<PipelineAgent> Agents { get; init; } = [];

    /// <summary>Inputs, in the order written.</summary>
    public IReadOnlyList<PipelineInput> Inputs { get; init; } = [];

    /// <summary>State fields, in the order written.</summary>
    public IReadOnlyList<StateField> State { get; init; } = [];

    /// <summary>Edges, in the order written.</summary>
    public IReadOnlyList<PipelineEdge> Edges { get; init; } = [];

    /// <summary>Nodes declared under <c>nodes:</c>, in the order written.</summary>
    public IReadOnlyList<PipelineNode> Nodes { get; init; } = [];

    /// <summary>Defaults for agents and nodes.</summary>
    public PipelineDefaults Defaults { get; init; } = new();

    /// <summary>The file, as given.</summary>
    public string Path => Source.Path;

    /// <summary>The folder of the file: the first place prompt layers are looked up.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Source.Path))!;
}

/// <summary>A repository under <c>workspace.repos</c>.</summary>
/// <param name="Name">Its name, used by agents' <c>repo:</c>.</param>
/// <param name="Path">Its folder, relative to the workspace root.</param>
/// <param name="Isolation">How parallel writers share it.</param>
/// <param name="At">JSON path in the file.</param>
public sealed record PipelineRepo(string Name, string Path, RepoIsolation Isolation, string At);

/// <summary>Where one prompt layer comes from: a file looked up by name, or text written in the pipeline.</summary>
/// <param name="Layer">Which layer.</param>
/// <param name="File">A file name such as <c>roles/security</c> (<c>.md</c> is added when it has no extension), or null.</param>
/// <param name="Text">The layer's text written inline, or null.</param>
/// <param name="At">JSON path in the file.</param>
public sealed record PromptLayerRef(PromptLayer Layer, string? File, string? Text, string At);

/// <summary>An agent under <c>agents:</c>: defined inline (<c>kind:</c>) or a workspace agent (<c>use:</c>).</summary>
public sealed record PipelineAgent
{
    /// <summary>The name nodes use.</summary>
    public required string Name { get; init; }

    /// <summary>JSON path in the file.</summary>
    public required string At { get; init; }

    /// <summary>The kind of an inline agent (<c>openai</c>, <c>anthropic</c>, <c>cli</c>, <c>scripted</c>, ...); null for a reference.</summary>
    public string? Kind { get; init; }

    /// <summary>The workspace agent (<c>.orchestra/agents/&lt;name&gt;.yaml</c>) this entry refers to; null for an inline agent.</summary>
    public string? Use { get; init; }

    /// <summary>The model or alias of an inline agent, when written.</summary>
    public string? Model { get; init; }

    /// <summary>The tools of an inline agent, when written.</summary>
    public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>Autonomous or interactive.</summary>
    public AgentMode Mode { get; init; }

    /// <summary>The repository it works in (a name under <c>workspace.repos</c>); null: the workspace's first one.</summary>
    public string? Repo { get; init; }

    /// <summary>Whether it changes its repository; null: decided by its kind and permission.</summary>
    public RepoAccess? Access { get; init; }

    /// <summary>Its prompt layers; a node may replace the task.</summary>
    public IReadOnlyList<PromptLayerRef> Layers { get; init; } = [];

    /// <summary>The fields of its kind (for an inline agent), as written: what an agent file would hold.</summary>
    public JsonObject Spec { get; init; } = [];

    /// <summary>The optional <c>description:</c>.</summary>
    public string? Description { get; init; }
}

/// <summary>An entry of <c>inputs:</c>.</summary>
public sealed record PipelineInput
{
    /// <summary>The name: <c>{{ name }}</c> and <c>inputs.name</c> refer to it.</summary>
    public required string Name { get; init; }

    /// <summary>JSON path in the file.</summary>
    public required string At { get; init; }

    /// <summary>The type. <value>The default value is string.</value></summary>
    public PipelineValueType Type { get; init; } = PipelineValueType.String;

    /// <summary>Whether a run must be given it. <value>The default value is true when there is no default.</value></summary>
    public bool Required { get; init; }

    /// <summary>The value used when a run is not given one.</summary>
    public JsonNode? Default { get; init; }

    /// <summary>The optional <c>description:</c>.</summary>
    public string? Description { get; init; }
}

/// <summary>An entry of <c>state:</c>: a key of the run's state document.</summary>
public sealed record StateField
{
    /// <summary>The key.</summary>
    public required string Name { get; init; }

    /// <summary>JSON path in the file.</summary>
    public required string At { get; init; }

    /// <summary>The type. <value>The default value is any.</value></summary>
    public PipelineValueType Type { get; init; }

    /// <summary>How values written by nodes combine. <value>The default value is replace.</value></summary>
    public Reducer Reducer { get; init; }

    /// <summary>The value the run starts with, or null.</summary>
    public JsonNode? Default { get; init; }

    /// <summary>The optional <c>description:</c>.</summary>
    public string? Description { get; init; }
}

/// <summary>An entry of <c>graph.edges</c>.</summary>
public sealed record PipelineEdge
{
    /// <summary>JSON path in the file.</summary>
    public required string At { get; init; }

    /// <summary>Sources; <c>START</c> is allowed; more than one is a fan-in.</summary>
    public required IReadOnlyList<string> From { get; init; }

    /// <summary>Targets; <c>END</c> is allowed; more than one is a fan-out.</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>How a fan-in waits. <value>The default value is all.</value></summary>
    public JoinMode Join { get; init; }

    /// <summary>Whether <c>join:</c> was written.</summary>
    public bool JoinWritten { get; init; }

    /// <summary>The condition as written, or null for an edge that always fires.</summary>
    public string? Condition { get; init; }

    /// <summary>How many times the edge may fire in one run.</summary>
    public int? MaxLoops { get; init; }

    /// <summary>Where to go once <see cref="MaxLoops"/> is spent.</summary>
    public string? Fallback { get; init; }

    /// <summary>Whether a person must approve before the targets start.</summary>
    public bool Approve { get; init; }
}

/// <summary>An entry of <c>nodes:</c>: settings of one node of the graph.</summary>
public sealed record PipelineNode
{
    /// <summary>The node's name, used in edges.</summary>
    public required string Name { get; init; }

    /// <summary>JSON path in the file.</summary>
    public required string At { get; init; }

    /// <summary>The agent; null: the agent with the node's name.</summary>
    public string? Agent { get; init; }

    /// <summary>A task layer replacing the agent's.</summary>
    public PromptLayerRef? Task { get; init; }

    /// <summary>Attempts allowed; null: the default.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Time allowed per attempt; null: the default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Whether a person must approve the node's result before the run goes on.</summary>
    public bool Approve { get; init; }

    /// <summary>The optional <c>on_reject:</c>: <c>fail</c> (the default) or <c>revise</c> (run again with the reason as feedback).</summary>
    public RejectAction? OnReject { get; init; }

    /// <summary>The optional <c>description:</c>.</summary>
    public string? Description { get; init; }
}

/// <summary>The <c>defaults:</c> section.</summary>
public sealed record PipelineDefaults
{
    /// <summary>The model or alias of inline LLM agents that name none.</summary>
    public string? Model { get; init; }

    /// <summary>Failed steps after which the run stops (its circuit breaker); null: no limit.</summary>
    public int? MaxFailures { get; init; }

    /// <summary>Attempts of nodes that do not say. <value>The default value is 1.</value></summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Time per attempt of nodes that do not say; null: none.</summary>
    public TimeSpan? Timeout { get; init; }
}
