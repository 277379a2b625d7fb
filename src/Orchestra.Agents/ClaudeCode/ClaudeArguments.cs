using System.Globalization;
using System.Text.Json.Nodes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>Builds the CLI's argument vector from an agent's options: each element one argument, never a shell string.</summary>
public static class ClaudeArguments
{
    /// <summary>The flags every run gets: print mode with stream-json both ways, and permission requests over the control protocol.</summary>
    public static readonly IReadOnlyList<string> Fixed =
    [
        "-p", "--output-format", "stream-json", "--verbose", "--input-format", "stream-json", "--permission-prompt-tool", "stdio",
    ];

    /// <summary>The argument vector, program first.</summary>
    /// <param name="program">The resolved executable.</param>
    /// <param name="options">The agent's options.</param>
    /// <param name="mcpConfig">The value of <c>--mcp-config</c> (JSON text or a file path), or null.</param>
    /// <param name="resume">A session id to resume, or null.</param>
    /// <param name="fork">With <paramref name="resume"/>: continue in a new session id.</param>
    public static IReadOnlyList<string> Build(string program, ClaudeCodeOptions options, string? mcpConfig = null, string? resume = null, bool fork = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(options);
        var argv = new List<string> { program };
        argv.AddRange(Fixed);
        void Add(string flag, string? value)
        {
            if (value is not null)
                argv.AddRange([flag, value]);
        }

        Add("--model", options.Model);
        Add("--system-prompt", options.SystemPrompt);
        Add("--append-system-prompt", options.AppendSystemPrompt);
        if (options.AllowedTools.Count > 0)
            Add("--allowedTools", string.Join(',', options.AllowedTools));
        if (options.DisallowedTools.Count > 0)
            Add("--disallowedTools", string.Join(',', options.DisallowedTools));
        Add("--permission-mode", options.PermissionMode);
        Add("--max-turns", options.MaxTurns?.ToString(CultureInfo.InvariantCulture));
        Add("--max-budget-usd", options.MaxBudgetUsd?.ToString(CultureInfo.InvariantCulture));
        if (options.SettingSources is { } sources)
            argv.Add("--setting-sources=" + string.Join(',', sources));
        Add("--mcp-config", mcpConfig);
        if (options.IncludePartialMessages)
            argv.Add("--include-partial-messages");
        if (resume is not null)
        {
            argv.Add("--resume=" + resume);
            if (fork)
                argv.Add("--fork-session");
        }
        argv.AddRange(options.ExtraArgs);
        return argv;
    }

    /// <summary>
    /// The value of <c>--mcp-config</c> for <see cref="ClaudeCodeOptions.McpConfig"/>: a mapping as JSON text (wrapped in
    /// <c>mcpServers</c> when it is not already), a file path resolved against <paramref name="root"/>; null when unset.
    /// </summary>
    public static string? McpConfigValue(JsonNode? config, string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        switch (config)
        {
            case null:
                return null;
            case JsonObject o:
                var document = o.ContainsKey("mcpServers") ? o : new JsonObject { ["mcpServers"] = o.DeepClone() };
                return document.ToJsonString();
            case JsonValue v when v.TryGetValue<string>(out var path):
                var trimmed = path.Trim();
                return trimmed.StartsWith('{') || Path.IsPathRooted(trimmed) ? trimmed : Path.GetFullPath(Path.Combine(root, trimmed));
            default:
                return config.ToJsonString();
        }
    }
}
