using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// One permission rule in Claude Code's notation: a tool name (<c>Read</c>, <c>mcp__github</c> for every tool of that
/// MCP server) optionally followed by a specifier in parentheses. For <c>Bash</c> the specifier is a command, exact or a
/// prefix ending in <c>:*</c> (<c>Bash(git diff:*)</c>); for <c>WebFetch</c> it may be <c>domain:host</c>; for file tools
/// it is a glob over the file's path (<c>*</c> within a directory, <c>**</c> across directories), matched against the
/// absolute path and against the path relative to the working directory.
/// </summary>
public sealed record ToolRule(string Tool, string? Specifier)
{
    /// <summary>Parses <c>Name</c> or <c>Name(specifier)</c>.</summary>
    /// <exception cref="ArgumentException">The text is not a rule.</exception>
    public static ToolRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var open = trimmed.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
            return trimmed.Length > 0 && !trimmed.Contains(')', StringComparison.Ordinal)
                ? new ToolRule(trimmed, null)
                : throw new ArgumentException($"'{text}' is not a tool rule: write a tool name such as Read, or Bash(git diff:*)");
        if (open == 0 || !trimmed.EndsWith(')'))
            throw new ArgumentException($"'{text}' is not a tool rule: write a tool name such as Read, or Bash(git diff:*)");
        var specifier = trimmed[(open + 1)..^1].Trim();
        return new ToolRule(trimmed[..open].Trim(), specifier is "" or "*" ? null : specifier);
    }

    /// <summary>True when the rule covers a call of <paramref name="tool"/> with <paramref name="input"/>, run in <paramref name="cwd"/>.</summary>
    public bool Matches(string tool, JsonObject? input, string? cwd = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var nameMatches = string.Equals(Tool, tool, StringComparison.Ordinal)
            || (Tool.StartsWith("mcp__", StringComparison.Ordinal) && tool.StartsWith(Tool + "__", StringComparison.Ordinal));
        if (!nameMatches)
            return false;
        if (Specifier is not { } spec)
            return true;
        if (tool == "Bash")
        {
            var command = Text(input, "command")?.Trim();
            if (command is null)
                return false;
            return spec.EndsWith(":*", StringComparison.Ordinal)
                ? command.StartsWith(spec[..^2], StringComparison.Ordinal)
                : string.Equals(command, spec, StringComparison.Ordinal);
        }
        if (tool == "WebFetch" && spec.StartsWith("domain:", StringComparison.Ordinal))
            return Uri.TryCreate(Text(input, "url"), UriKind.Absolute, out var url)
                && string.Equals(url.Host, spec["domain:".Length..], StringComparison.OrdinalIgnoreCase);
        var path = Text(input, "file_path") ?? Text(input, "notebook_path") ?? Text(input, "path");
        if (path is null)
            return false;
        var glob = GlobRegex(spec.StartsWith("//", StringComparison.Ordinal) ? spec[1..] : spec);
        if (glob.IsMatch(path))
            return true;
        if (cwd is not null && Path.IsPathRooted(path))
        {
            var relative = Path.GetRelativePath(cwd, path);
            return !relative.StartsWith("..", StringComparison.Ordinal) && glob.IsMatch(relative);
        }
        return false;
    }

    /// <summary>True when any of <paramref name="rules"/> covers the call.</summary>
    public static bool Any(IEnumerable<ToolRule> rules, string tool, JsonObject? input, string? cwd = null) =>
        rules.Any(r => r.Matches(tool, input, cwd));

    /// <inheritdoc />
    public override string ToString() => Specifier is null ? Tool : $"{Tool}({Specifier})";

    private static Regex GlobRegex(string glob)
    {
        var pattern = Regex.Escape(glob)
            .Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal);
        return new Regex("^" + pattern + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string? Text(JsonObject? input, string key) =>
        input?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
