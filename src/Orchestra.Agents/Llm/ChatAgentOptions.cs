using System.Text.Json.Nodes;
using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Llm;

/// <summary>The definition of an <c>openai</c> or <c>anthropic</c> agent, as written in <c>.orchestra/agents/&lt;name&gt;.yaml</c>.</summary>
public sealed record ChatAgentOptions
{
    /// <summary>A provider profile name (<c>openai</c>, <c>openrouter</c>, <c>gemini</c>, <c>local</c>, <c>anthropic</c> or one from providers.yaml). Null: the kind's default profile.</summary>
    public string? Provider { get; set; }

    /// <summary>A model name or alias (<c>smart</c>, <c>worker</c>, <c>cheap</c>). Null: the profile's default model.</summary>
    public string? Model { get; set; }

    /// <summary>An endpoint given directly instead of through a profile, for example <c>http://127.0.0.1:8080/v1</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The environment variable holding the key for <see cref="BaseUrl"/> (or replacing the profile's).</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>Extra request headers. Never put secrets here: use <see cref="ApiKeyEnv"/>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>();

    /// <summary>The agent's own model aliases, consulted before the workspace's and the profile's.</summary>
    public IReadOnlyDictionary<string, string> Models { get; set; } = new Dictionary<string, string>();

    /// <summary>The system prompt.</summary>
    public string? System { get; set; }

    /// <summary>Most tokens per response.</summary>
    public int? MaxTokens { get; set; }

    /// <summary>Sampling temperature.</summary>
    public float? Temperature { get; set; }

    /// <summary>Sampling seed, for providers that honour one.</summary>
    public long? Seed { get; set; }

    /// <summary>
    /// Tools the model may call: built-ins (<c>read_file</c>, <c>list_files</c>, <c>search_code</c>, <c>git_diff</c>,
    /// <c>write_file</c>, <c>run_command</c>), shell tools and MCP servers from the workspace configuration
    /// (<c>{server}</c> or <c>{server}:{tool}</c>), and <c>{repo}:{tool}</c> in multi-repository workspaces. Null: none.
    /// </summary>
    public IReadOnlyList<string>? Tools { get; set; }

    /// <summary>What the tools may do.</summary>
    public ToolPermission Permission { get; set; } = ToolPermission.Read;

    /// <summary>Programs <c>run_command</c> may start (exact names), under <see cref="ToolPermission.Run"/>.</summary>
    public IReadOnlyList<string> AllowedCommands { get; set; } = [];

    /// <summary>Most model calls in one step's tool loop.</summary>
    public int MaxToolIterations { get; set; } = 16;

    /// <summary>A JSON Schema the output must match; the parsed output becomes the step's structured result.</summary>
    public JsonObject? OutputSchema { get; set; }

    /// <summary>How many times invalid output is sent back to the model with the validation error before the step fails.</summary>
    public int SchemaRetries { get; set; } = 2;

    /// <summary>How long one model call may take.</summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>Most steps of this agent that may run at once, or null for no limit.</summary>
    public int? MaxConcurrency { get; set; }
}
