using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tools.Mcp;

/// <summary>
/// An MCP server that Orchestra starts as a child process and talks to over stdio (<c>mcp_servers:</c> in the
/// configuration). Its tools are named <c>{name}:{tool}</c>.
/// </summary>
/// <param name="Name">The server's name: letters, digits, <c>_</c> and <c>-</c>.</param>
/// <param name="Command">The argument vector, program first, such as <c>["npx", "-y", "@modelcontextprotocol/server-github"]</c>; no shell is involved.</param>
public sealed record McpServerDefinition(string Name, IReadOnlyList<string> Command)
{
    /// <summary>Variables added to the minimal environment (see <see cref="ChildEnvironment"/>); use <c>${NAME}</c> to pass on a variable of the orchestrator, such as a token. <value>The default value is none.</value></summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The directory the server starts in, relative to the workspace root and inside it, or null for the root. <value>The default value is null.</value></summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long one tool call may take. <value>The default value is 2 minutes.</value></summary>
    public TimeSpan CallTimeout { get; init; } = ToolOptions.DefaultCommandTimeout;

    /// <summary>Checks the definition.</summary>
    /// <exception cref="OrchestraException">It cannot work.</exception>
    public void Validate()
    {
        if (!ToolNames.IsValidName(Name))
            throw new OrchestraException($"MCP server name '{Name}' is invalid; use letters, digits, '_' or '-' (no '__')");
        if (Command is not { Count: > 0 } || string.IsNullOrWhiteSpace(Command[0]))
            throw new OrchestraException($"MCP server '{Name}' has no command; set command to a list such as [\"npx\", \"-y\", \"my-mcp-server\"]");
        if (CallTimeout <= TimeSpan.Zero)
            throw new OrchestraException($"MCP server '{Name}' has a call timeout of {CallTimeout}; use a positive duration such as 2m");
    }

    /// <summary>
    /// Reads a definition from its configuration form (snake_case keys): <c>command</c> (a list), <c>env</c>,
    /// <c>working_dir</c> and <c>call_timeout</c>. The result is validated.
    /// </summary>
    /// <exception cref="OrchestraException">A key is unknown or a value has the wrong form.</exception>
    public static McpServerDefinition FromJson(string name, JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var where = $"mcp_servers.{name}";
        ConfigJson.OnlyKeys(json, where, "command", "env", "working_dir", "call_timeout");
        var timeout = ConfigJson.String(json, "call_timeout", where);
        var definition = new McpServerDefinition(name,
            ConfigJson.StringList(json, "command", where) ?? throw new OrchestraException($"{where} needs a command: a list such as [\"npx\", \"-y\", \"my-mcp-server\"]"))
        {
            Environment = ConfigJson.StringMap(json, "env", where) ?? new Dictionary<string, string>(),
            WorkingDirectory = ConfigJson.String(json, "working_dir", where),
            CallTimeout = timeout is null ? ToolOptions.DefaultCommandTimeout : Durations.Parse(timeout, $"{where}.call_timeout"),
        };
        definition.Validate();
        return definition;
    }
}
