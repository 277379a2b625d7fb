using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

/// <summary>
/// Turns the error text Codex reports (a failed turn, an <c>error</c> event, standard error) into a failure: transient
/// when trying again later can succeed (rate limits, 5xx answers, dropped streams, timeouts), permanent otherwise
/// (refused keys, bad requests, spent quotas, a missing CLI or key variable).
/// </summary>
public static partial class CodexFailures
{
    /// <summary>
    /// True when <paramref name="message"/> describes a failure worth retrying. Quota and usage limits are permanent
    /// even when they arrive as HTTP 429: a retry within the step's backoff does not lift them.
    /// </summary>
    public static bool IsTransient(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Permanent().IsMatch(message))
            return false;
        return Transient().IsMatch(message);
    }

    /// <summary>
    /// The readable part of <paramref name="message"/>: a JSON error body (<c>{"error":{"message":…}}</c>) becomes its
    /// message; secrets are redacted and the text is kept to one line.
    /// </summary>
    public static string Describe(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(text) is JsonObject o)
                {
                    var error = o["error"] as JsonObject ?? o;
                    if (error["message"] is JsonValue m && m.TryGetValue<string>(out var inner) && inner.Length > 0)
                        text = error["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? $"{inner} ({type})" : inner;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: keep the text.
            }
        }
        text = Secrets.Redact(string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        return text.Length <= 600 ? text : text[..600] + "…";
    }

    /// <summary>
    /// The failure for <paramref name="message"/>, worded for the agent <paramref name="agent"/> (defined in
    /// <c>.orchestra/agents/&lt;agent&gt;.yaml</c>), with a fix where one is known.
    /// </summary>
    public static AgentResult Classify(string agent, string message, Usage usage = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var text = Describe(message);
        if (MissingVariable().Match(message) is { Success: true } missing)
            return AgentResult.Permanent($"agent '{agent}': codex needs the environment variable {missing.Groups[1].Value}: set it (or `api_key_env:` in .orchestra/agents/{agent}.yaml)", usage);
        if (NotARepository().IsMatch(message))
            return AgentResult.Permanent($"agent '{agent}': codex refuses to run outside a git repository: run the step in one, or set `skip_git_repo_check: true` in .orchestra/agents/{agent}.yaml", usage);
        return IsTransient(message)
            ? AgentResult.Transient($"agent '{agent}': codex: {text}", usage)
            : AgentResult.Permanent($"agent '{agent}': codex: {text}", usage);
    }

    [GeneratedRegex(@"insufficient_quota|usage limit|quota exceeded|billing|\b40[01346]\b|unauthori[sz]ed|forbidden|invalid_request|invalid api key|incorrect api key", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Permanent();

    [GeneratedRegex(@"\b429\b|too many requests|rate.?limit|exceeded retry limit|\b5\d\d\b|server error|overloaded|unavailable|bad gateway|gateway time|stream disconnected|stream error|error sending request|transport error|connection (?:refused|reset|closed|error)|timed? ?out|reconnecting|temporar", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Transient();

    [GeneratedRegex(@"Missing environment variable:?\s*`?([A-Za-z_][A-Za-z0-9_]*)`?", RegexOptions.CultureInvariant)]
    private static partial Regex MissingVariable();

    [GeneratedRegex(@"Not inside a trusted directory|skip-git-repo-check", RegexOptions.CultureInvariant)]
    private static partial Regex NotARepository();
}
