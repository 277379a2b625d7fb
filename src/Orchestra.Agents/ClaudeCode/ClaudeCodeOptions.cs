using System.Text.Json.Nodes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// The definition of a <c>claude-code</c> agent: how to start the <c>claude</c> CLI and what it may do. Every
/// property maps to a snake_case key of the agent's YAML file.
/// </summary>
public sealed record ClaudeCodeOptions
{
    /// <summary>The permission modes the CLI knows (<c>--permission-mode</c>).</summary>
    public static readonly IReadOnlyList<string> PermissionModes = ["default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"];

    /// <summary>The setting sources the CLI knows (<c>--setting-sources</c>).</summary>
    public static readonly IReadOnlyList<string> SettingSourceNames = ["user", "project", "local"];

    /// <summary>The program to run: a name looked up on <c>PATH</c>, or a path (relative to the workspace root, or absolute).</summary>
    /// <value>The default value is <c>claude</c>.</value>
    public string Executable { get; set; } = "claude";

    /// <summary>Environment variables added to the inherited environment.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyDictionary<string, string> Env { get; set; } = new Dictionary<string, string>();

    /// <summary>The model (<c>--model</c>), an alias such as <c>sonnet</c> or a full name; null lets the CLI choose.</summary>
    /// <value>The default value is null.</value>
    public string? Model { get; set; }

    /// <summary>A system prompt that replaces Claude Code's own (<c>--system-prompt</c>).</summary>
    /// <value>The default value is null: Claude Code's own system prompt.</value>
    public string? SystemPrompt { get; set; }

    /// <summary>Text appended to the system prompt (<c>--append-system-prompt</c>).</summary>
    /// <value>The default value is null.</value>
    public string? AppendSystemPrompt { get; set; }

    /// <summary>
    /// Tool rules the CLI allows without asking (<c>--allowedTools</c>), such as <c>Read</c> or <c>Bash(git diff:*)</c>.
    /// When the list is not empty, Orchestra also denies every permission request for a tool it does not match.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> AllowedTools { get; set; } = [];

    /// <summary>Tool rules that are always denied (<c>--disallowedTools</c>, and enforced again by Orchestra's hook).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> DisallowedTools { get; set; } = [];

    /// <summary>The permission mode (<c>--permission-mode</c>): one of <see cref="PermissionModes"/>; null uses the CLI's default.</summary>
    /// <value>The default value is null.</value>
    public string? PermissionMode { get; set; }

    /// <summary>
    /// A read-only agent (reviews): Orchestra denies <c>Write</c>, <c>Edit</c>, <c>MultiEdit</c>, <c>NotebookEdit</c> and every
    /// <c>Bash</c> command it cannot tell is read-only, both in its PreToolUse hook and in its answers to permission requests.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool ReadOnly { get; set; }

    /// <summary>Most agentic turns per step (<c>--max-turns</c>); null for the CLI's default.</summary>
    /// <value>The default value is null.</value>
    public int? MaxTurns { get; set; }

    /// <summary>Most US dollars one step may spend (<c>--max-budget-usd</c>); null for no limit.</summary>
    /// <value>The default value is null.</value>
    public decimal? MaxBudgetUsd { get; set; }

    /// <summary>Which settings files the CLI reads (<c>--setting-sources</c>): any of <see cref="SettingSourceNames"/>; null for the CLI's default.</summary>
    /// <value>The default value is null.</value>
    public IReadOnlyList<string>? SettingSources { get; set; }

    /// <summary>
    /// MCP servers (<c>--mcp-config</c>): a mapping (<c>{"mcpServers": {...}}</c>, written inline in the YAML), or a string
    /// naming a JSON file (relative to the workspace root, or absolute).
    /// </summary>
    /// <value>The default value is null.</value>
    public JsonNode? McpConfig { get; set; }

    /// <summary>
    /// How long the CLI may go without writing anything to its standard output before Orchestra kills its process group
    /// and fails the attempt as transient (stream-json output is known to hang). Zero turns the watchdog off.
    /// </summary>
    /// <value>The default value is 15 minutes.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Streams partial assistant text as non-persisted <c>token</c> events (<c>--include-partial-messages</c>).</summary>
    /// <value>The default value is true.</value>
    public bool IncludePartialMessages { get; set; } = true;

    /// <summary>When resuming a session, continues in a new session id instead of extending it (<c>--fork-session</c>).</summary>
    /// <value>The default value is false.</value>
    public bool ForkSession { get; set; }

    /// <summary>The working directory, relative to the step's work directory; it must stay inside it. Null: the work directory itself.</summary>
    /// <value>The default value is null.</value>
    public string? Cwd { get; set; }

    /// <summary>Further arguments passed to the CLI as they are (each element one argument), for flags Orchestra does not model.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> ExtraArgs { get; set; } = [];

    /// <summary>How long the CLI gets to finish after an interrupt or after its result, and between SIGTERM and SIGKILL.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most steps of this agent that may run at once, or null for no limit.</summary>
    /// <value>The default value is null.</value>
    public int? MaxConcurrency { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> with a message naming the key and the fix when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Executable) || Executable.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("`executable:` must name the claude program, for example claude or /usr/local/bin/claude");
        foreach (var (key, value) in Env ?? throw new ArgumentException("`env:` must not be null"))
        {
            if (string.IsNullOrEmpty(key) || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"`env:` '{key}' is not a valid environment variable name");
            if (value is null || value.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"`env:` the value of '{key}' must be a string without NUL characters");
        }
        CheckRules(AllowedTools, "allowed_tools");
        CheckRules(DisallowedTools, "disallowed_tools");
        CheckList(ExtraArgs, "extra_args");
        if (PermissionMode is { } mode && !PermissionModes.Contains(mode, StringComparer.Ordinal))
            throw new ArgumentException($"`permission_mode:` '{mode}' is not a permission mode. Known modes: {string.Join(", ", PermissionModes)}");
        if (MaxTurns is <= 0)
            throw new ArgumentException($"`max_turns:` must be at least 1, not {MaxTurns}");
        if (MaxBudgetUsd is <= 0)
            throw new ArgumentException($"`max_budget_usd:` must be more than 0, not {MaxBudgetUsd}");
        if (SettingSources is { } sources)
        {
            CheckList(sources, "setting_sources");
            foreach (var source in sources.Where(s => !SettingSourceNames.Contains(s, StringComparer.Ordinal)))
                throw new ArgumentException($"`setting_sources:` '{source}' is not a setting source. Known sources: {string.Join(", ", SettingSourceNames)}");
        }
        if (McpConfig is not null and not JsonObject && !(McpConfig is JsonValue v && v.TryGetValue<string>(out var path) && path.Length > 0))
            throw new ArgumentException("`mcp_config:` must be a mapping such as {mcpServers: {name: {command: ...}}} or the path of a JSON file");
        if (IdleTimeout < TimeSpan.Zero)
            throw new ArgumentException("`idle_timeout:` must not be negative; use 0s to turn the watchdog off");
        if (GracePeriod < TimeSpan.Zero)
            throw new ArgumentException("`grace_period:` must not be negative");
        if (MaxConcurrency is <= 0)
            throw new ArgumentException("`max_concurrency:` must be positive");
    }

    private static void CheckRules(IReadOnlyList<string>? rules, string key)
    {
        CheckList(rules, key);
        foreach (var rule in rules!)
        {
            try
            {
                _ = ToolRule.Parse(rule);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"`{key}:` {ex.Message}");
            }
        }
    }

    private static void CheckList(IReadOnlyList<string>? list, string key)
    {
        if (list is null)
            throw new ArgumentException($"`{key}:` must be a list, not null");
        if (list.Any(item => string.IsNullOrWhiteSpace(item) || item.Contains('\0', StringComparison.Ordinal)))
            throw new ArgumentException($"`{key}:` must not hold empty items");
    }
}
