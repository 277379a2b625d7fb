using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Orchestra.Agents.Codex;

/// <summary>What the commands Codex runs for the model may touch (its <c>--sandbox</c> modes).</summary>
public enum CodexSandbox
{
    /// <summary>Commands may read files but not write them.</summary>
    [JsonStringEnumMemberName("read-only")]
    ReadOnly,
    /// <summary>Commands may write inside the working directory. The default.</summary>
    [JsonStringEnumMemberName("workspace-write")]
    WorkspaceWrite,
    /// <summary>No sandbox at all: only where the machine itself is a sandbox.</summary>
    [JsonStringEnumMemberName("danger-full-access")]
    DangerFullAccess,
}

/// <summary>The definition of a <c>codex</c> agent, as written in <c>.orchestra/agents/&lt;name&gt;.yaml</c>.</summary>
public sealed record CodexAgentOptions
{
    /// <summary>The Codex CLI to run: a name looked up on <c>PATH</c>, or a path. The default value is <c>codex</c>.</summary>
    public string Executable { get; set; } = "codex";

    /// <summary>Environment variables added to the inherited environment (<c>CODEX_HOME</c> is always the step's own).</summary>
    public IReadOnlyDictionary<string, string> Env { get; set; } = new Dictionary<string, string>();

    /// <summary>The model (<c>--model</c>); a step's <c>model</c> input overrides it. Null: Codex's own default. Also prices the usage.</summary>
    public string? Model { get; set; }

    /// <summary>What the commands Codex runs may touch. The default value is <see cref="CodexSandbox.WorkspaceWrite"/>.</summary>
    public CodexSandbox Sandbox { get; set; } = CodexSandbox.WorkspaceWrite;

    /// <summary>A JSON Schema the final message must match (<c>--output-schema</c>); the parsed message becomes the step's structured result.</summary>
    public JsonObject? OutputSchema { get; set; }

    /// <summary>A Codex profile (<c>--profile</c>): <c>&lt;name&gt;.config.toml</c> from the user's Codex home, layered on its configuration.</summary>
    public string? Profile { get; set; }

    /// <summary>Configuration overrides passed as <c>-c key=value</c>, in order; the value is TOML (<c>model_reasoning_effort="high"</c>).</summary>
    public IReadOnlyList<string> Config { get; set; } = [];

    /// <summary>
    /// An endpoint speaking the OpenAI Responses API (for example <c>http://127.0.0.1:8080/v1</c>). When set, the step's
    /// <c>config.toml</c> declares a model provider <c>orchestra</c> with this base URL and <c>wire_api = "responses"</c>, and Codex uses it.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>The environment variable holding the key for <see cref="BaseUrl"/> (the provider's <c>env_key</c>). Null: requests carry no key.</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>
    /// When true, the step's Codex home starts from the user's: <c>config.toml</c>, <c>AGENTS.md</c> and profile files
    /// are copied and <c>auth.json</c> is linked from <c>$CODEX_HOME</c> (else <c>~/.codex</c>). The default value is true.
    /// </summary>
    public bool UserConfig { get; set; } = true;

    /// <summary>Let Codex run in a directory that is not a git repository (<c>--skip-git-repo-check</c>). The default value is false.</summary>
    public bool SkipGitRepoCheck { get; set; }

    /// <summary>
    /// The watchdog: a run that writes nothing for this long is stopped and fails as a transient failure. Zero turns the
    /// watchdog off. The default value is 30 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a stopped process gets between SIGTERM and SIGKILL. The default value is 5 seconds.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most steps of this agent that may run at once, or null for no limit.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message naming the field when the options cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Executable) || Executable.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("`executable:` must name the Codex CLI, for example codex or /usr/local/bin/codex");
        foreach (var (key, value) in Env ?? throw new ArgumentException("`env:` must not be null"))
        {
            if (!IsVariableName(key))
                throw new ArgumentException($"`env:` '{key}' is not a valid environment variable name");
            if (value is null || value.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"`env:` the value of '{key}' must be a string without NUL characters");
        }
        if (!Enum.IsDefined(Sandbox))
            throw new ArgumentException("`sandbox:` must be read-only, workspace-write or danger-full-access");
        if (Profile is not null && (Profile.Length == 0 || Profile.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || Profile.StartsWith('.')))
            throw new ArgumentException($"`profile:` '{Profile}' is not a profile name: use letters, digits, '-', '_' and '.'");
        foreach (var entry in Config ?? throw new ArgumentException("`config:` must not be null"))
        {
            var eq = entry?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (entry is null || eq <= 0 || string.IsNullOrWhiteSpace(entry[..eq]) || entry.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"`config:` '{entry}' is not key=value, for example model_reasoning_effort=\"high\"");
        }
        if (BaseUrl is not null && (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            throw new ArgumentException($"`base_url:` '{BaseUrl}' is not an http(s) URL, for example http://127.0.0.1:8080/v1");
        if (ApiKeyEnv is not null && !IsVariableName(ApiKeyEnv))
            throw new ArgumentException($"`api_key_env:` '{ApiKeyEnv}' is not an environment variable name, for example OPENAI_API_KEY");
        if (ApiKeyEnv is not null && BaseUrl is null)
            throw new ArgumentException("`api_key_env:` needs `base_url:`: it names the key of that endpoint; without a base URL Codex uses its own login or key");
        if (IdleTimeout < TimeSpan.Zero)
            throw new ArgumentException("`idle_timeout:` must not be negative; 0 turns the watchdog off");
        if (GracePeriod < TimeSpan.Zero)
            throw new ArgumentException("`grace_period:` must not be negative");
        if (MaxConcurrency is <= 0)
            throw new ArgumentException("`max_concurrency:` must be positive");
    }

    /// <summary>True for a portable environment variable name: a letter or '_', then letters, digits and '_'.</summary>
    internal static bool IsVariableName(string? name) =>
        !string.IsNullOrEmpty(name) && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
