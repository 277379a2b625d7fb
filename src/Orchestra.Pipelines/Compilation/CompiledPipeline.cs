using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Pipelines.Conditions;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;
using Orchestra.Workspace;

namespace Orchestra.Pipelines;

/// <summary>An agent a compiled pipeline uses.</summary>
public sealed record CompiledAgent
{
    /// <summary>The name in the pipeline (<c>agents:</c> key, or a workspace agent's name).</summary>
    public required string Name { get; init; }

    /// <summary>The name steps run under: the workspace agent's name, or <c>pipeline:{pipeline}:{agent}</c> for an inline one.</summary>
    public required string RuntimeName { get; init; }

    /// <summary>The kind; null when it is a workspace agent that was not read.</summary>
    public string? Kind { get; init; }

    /// <summary>The workspace agent it refers to, or null for an inline agent.</summary>
    public string? Use { get; init; }

    /// <summary>The model or alias of an inline LLM agent (its own, else <c>defaults.model</c>).</summary>
    public string? Model { get; init; }

    /// <summary>Autonomous or interactive.</summary>
    public AgentMode Mode { get; init; }

    /// <summary>The repository it works in; null: the workspace root.</summary>
    public string? Repo { get; init; }

    /// <summary>Whether it changes its repository.</summary>
    public RepoAccess Access { get; init; }

    /// <summary>The definition of an inline agent, as an agent file would hold it; null for a workspace agent.</summary>
    public AgentDefinition? Definition { get; init; }

    /// <summary><c>file:line:column</c> of its entry; the file alone for a workspace agent used without an entry.</summary>
    public required string Location { get; init; }
}

/// <summary>A node of a compiled pipeline.</summary>
public sealed record CompiledNode
{
    /// <summary>The node's name.</summary>
    public required string Name { get; init; }

    /// <summary>The agent that runs it.</summary>
    public required CompiledAgent Agent { get; init; }

    /// <summary>Its prompt: layers and task template.</summary>
    public required ComposedPrompt Prompt { get; init; }

    /// <summary>Attempts allowed.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Time per attempt, or null.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Whether a person approves its result before the run goes on.</summary>
    public bool Approve { get; init; }

    /// <summary>What rejecting its result does (<c>on_reject:</c>).</summary>
    public RejectAction OnReject { get; init; }

    /// <summary>Whether its agent talks with a person (<c>mode: interactive</c>) until told it is done.</summary>
    public bool Interactive { get; init; }

    /// <summary><c>file:line:column</c> of its entry under <c>nodes:</c>, or of the first edge naming it.</summary>
    public required string Location { get; init; }
}

/// <summary>An edge of a compiled pipeline.</summary>
public sealed record CompiledEdge
{
    /// <summary>The id of the matching <see cref="GraphEdge"/> in <see cref="CompiledPipeline.Graph"/>.</summary>
    public required string Id { get; init; }

    /// <summary>Sources.</summary>
    public required IReadOnlyList<string> From { get; init; }

    /// <summary>Targets.</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>How a fan-in waits.</summary>
    public JoinMode Join { get; init; }

    /// <summary>The condition, or null.</summary>
    public Condition? Condition { get; init; }

    /// <summary>The loop bound, or null.</summary>
    public int? MaxLoops { get; init; }

    /// <summary>Where to go once the bound is spent.</summary>
    public string? Fallback { get; init; }

    /// <summary>Whether a person approves before the targets start.</summary>
    public bool Approve { get; init; }

    /// <summary><c>file:line:column</c> of the edge.</summary>
    public required string Location { get; init; }
}

/// <summary>
/// A checked pipeline: the engine's <see cref="GraphDefinition"/> with prompt functions and compiled
/// conditions, plus what a runner needs around it (agents to register, inputs, approvals, warnings).
/// </summary>
public sealed class CompiledPipeline
{
    internal CompiledPipeline(PipelineDocument document, GraphDefinition graph, IReadOnlyList<CompiledAgent> agents,
        IReadOnlyList<CompiledNode> nodes, IReadOnlyList<CompiledEdge> edges, IReadOnlyList<PipelineDiagnostic> warnings)
    {
        Document = document;
        Graph = graph;
        Agents = agents;
        Nodes = nodes;
        Edges = edges;
        Warnings = warnings;
    }

    /// <summary>The pipeline's name; the graph has the same.</summary>
    public string Name => Document.Name;

    /// <summary>The file as read.</summary>
    public PipelineDocument Document { get; }

    /// <summary>The graph to register with the engine.</summary>
    public GraphDefinition Graph { get; }

    /// <summary>The agents the nodes use.</summary>
    public IReadOnlyList<CompiledAgent> Agents { get; }

    /// <summary>The nodes, in the order of <c>nodes:</c>, then of first mention in the edges.</summary>
    public IReadOnlyList<CompiledNode> Nodes { get; }

    /// <summary>The edges, in the order written.</summary>
    public IReadOnlyList<CompiledEdge> Edges { get; }

    /// <summary>Problems that do not stop the pipeline.</summary>
    public IReadOnlyList<PipelineDiagnostic> Warnings { get; }

    /// <summary>The run's circuit breaker: failed steps after which it stops; null for none.</summary>
    public int? MaxFailures => Document.Defaults.MaxFailures;

    /// <summary>
    /// The state a run starts with: <c>inputs</c> holding every input (given, else its default) and each state
    /// field's default. Values given as text (<c>--input n=3</c>) are converted to the input's type.
    /// </summary>
    /// <exception cref="OrchestraException">A required input is missing, an input is unknown, or a value has the wrong type.</exception>
    public JsonObject CreateInitialState(IReadOnlyDictionary<string, JsonNode?> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var declared = Document.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var name in inputs.Keys)
        {
            if (!declared.ContainsKey(name))
                throw new OrchestraException(declared.Count == 0
                    ? $"pipeline '{Name}' takes no input '{name}': it declares no inputs."
                    : $"pipeline '{Name}' has no input '{name}'. Its inputs: {string.Join(", ", declared.Keys)}.");
        }
        var values = new JsonObject();
        foreach (var input in Document.Inputs)
        {
            if (inputs.TryGetValue(input.Name, out var given))
                values[input.Name] = Convert(input, given);
            else if (input.Default is not null)
                values[input.Name] = input.Default.DeepClone();
            else if (input.Required)
                throw new OrchestraException($"missing required input '{input.Name}' (declared at {Document.Source.Where(input.At)}): pass --input {input.Name}=VALUE.");
        }
        var state = new JsonObject { ["inputs"] = values };
        foreach (var field in Document.State)
        {
            if (field.Default is not null)
                state[field.Name] = field.Default.DeepClone();
        }
        return state;
    }

    /// <summary>A value for an input: text from the command line is converted to the input's type.</summary>
    private JsonNode? Convert(PipelineInput input, JsonNode? value)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && input.Type is not (PipelineValueType.String or PipelineValueType.Any))
        {
            var text = v.GetValue<string>().Trim();
            JsonNode? parsed = null;
            switch (input.Type)
            {
                case PipelineValueType.Number or PipelineValueType.Integer:
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                        parsed = d % 1 == 0 && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);
                    break;
                case PipelineValueType.Boolean:
                    parsed = text switch { "true" => JsonValue.Create(true), "false" => JsonValue.Create(false), _ => null };
                    break;
                default:
                    try
                    {
                        parsed = JsonNode.Parse(text);
                    }
                    catch (JsonException)
                    {
                    }
                    break;
            }
            value = parsed ?? value;
        }
        if (!PipelineLoader.TypeOf(input.Type, value))
            throw new OrchestraException($"input '{input.Name}' must be {Article(input.Type)}, not {SchemaReader.Describe(value)}.");
        return value?.DeepClone();
    }

    private static string Article(PipelineValueType type) => type switch
    {
        PipelineValueType.Integer => "an integer",
        PipelineValueType.Object => "an object (JSON such as {\"a\": 1})",
        PipelineValueType.List => "a list (JSON such as [\"a\", \"b\"])",
        PipelineValueType.Boolean => "true or false",
        _ => $"a {type.ToString().ToLowerInvariant()}",
    };

    /// <summary>The graph as a Mermaid <c>flowchart</c>.</summary>
    public string ToMermaid() => MermaidWriter.Write(this);
}
