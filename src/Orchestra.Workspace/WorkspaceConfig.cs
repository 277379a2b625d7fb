using Orchestra.Core.Model;

namespace Orchestra.Workspace;

/// <summary>Retry settings in <c>config.yaml</c>.</summary>
public sealed record RetryConfig
{
    /// <summary>Delay before the second attempt. <value>The default value is 1s.</value></summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay. <value>The default value is 5m.</value></summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Growth per attempt. <value>The default value is 2.</value></summary>
    public double Multiplier { get; set; } = 2;

    /// <summary>Random spread, 0 to 1. <value>The default value is 0.2.</value></summary>
    public double Jitter { get; set; } = 0.2;
}

/// <summary>A model's price under <c>prices:</c>, in US dollars per million tokens.</summary>
public sealed record PriceConfig
{
    /// <summary>Uncached prompt tokens.</summary>
    public decimal Input { get; set; }

    /// <summary>Completion tokens.</summary>
    public decimal Output { get; set; }

    /// <summary>Prompt tokens served from the provider's cache; null: the input price.</summary>
    public decimal? CachedInput { get; set; }
}

/// <summary>Settings of the worktrees isolated steps get, under <c>worktree:</c>.</summary>
public sealed record WorktreeConfig
{
    /// <summary>
    /// Files or folders, relative to the workspace, copied into every step's worktree because git does not carry
    /// them (for example <c>.env</c>). Missing ones are skipped; copies are never committed.
    /// </summary>
    public List<string> Copy { get; set; } = [];
}

/// <summary><c>.orchestra/config.yaml</c>: workspace-wide defaults.</summary>
public sealed record WorkspaceConfig
{
    /// <summary>Steps a <c>run</c> or <c>worker</c> executes at once. <value>The default value is 4.</value></summary>
    public int Parallel { get; set; } = 4;

    /// <summary>Lease length; a worker that stops heartbeating loses its steps after this. <value>The default value is 30s.</value></summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often workers look for work queued elsewhere. <value>The default value is 200ms.</value></summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most running steps across all workers, or null for no limit.</summary>
    public int? GlobalLimit { get; set; }

    /// <summary>Default for <c>start</c> and plans. <value>The default value is 1.</value></summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>What dependants of a failed step do. <value>The default value is fail.</value></summary>
    public DependencyFailurePolicy OnDependencyFailure { get; set; } = DependencyFailurePolicy.Fail;

    /// <summary>Backoff between attempts.</summary>
    public RetryConfig Retry { get; set; } = new();

    /// <summary>The workspace's model aliases (<c>smart</c>, <c>worker</c>, <c>cheap</c>, ...), used when an agent's own map has no entry.</summary>
    public Dictionary<string, string> Models { get; set; } = [];

    /// <summary>Model prices that replace or extend the built-in table.</summary>
    public Dictionary<string, PriceConfig> Prices { get; set; } = [];

    /// <summary>Shell tools LLM agents may be given, by name (see docs/tools.md).</summary>
    public Dictionary<string, System.Text.Json.Nodes.JsonObject> Tools { get; set; } = [];

    /// <summary>MCP servers (stdio) whose tools LLM agents may be given, by name.</summary>
    public Dictionary<string, System.Text.Json.Nodes.JsonObject> McpServers { get; set; } = [];

    /// <summary>
    /// Repositories of a multi-repository workspace, by name, relative to the workspace root; their tools are
    /// offered as <c>{repo}:{tool}</c>. Empty: the workspace root is the one repository.
    /// </summary>
    public Dictionary<string, string> Repos { get; set; } = [];

    /// <summary>The worktrees of isolated steps (<c>--worktree</c>, <c>isolation: worktree</c>).</summary>
    public WorktreeConfig Worktree { get; set; } = new();
}
