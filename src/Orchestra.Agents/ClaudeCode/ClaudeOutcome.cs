using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// Turns what a CLI run left behind (its last <c>result</c> message, or its exit status when there was none) into an
/// <see cref="AgentResult"/>. <c>is_error</c> decides failure, whatever the subtype: an API failure arrives as subtype
/// <c>success</c> with <c>is_error: true</c> and the HTTP status in <c>api_error_status</c> (or only in the text).
/// Rate limits (429), timeouts (408), conflicts (409), server errors (5xx) and overload (529) are transient; other
/// 4xx statuses, reaching <c>max_turns</c> or <c>max_budget_usd</c>, and execution errors are permanent.
/// </summary>
public static partial class ClaudeOutcome
{
    /// <summary>The result of a run whose last result message is <paramref name="result"/> (null when none came).</summary>
    /// <param name="agent">The agent's name, for messages.</param>
    /// <param name="result">The last <c>result</c> message.</param>
    /// <param name="usage">What the run spent.</param>
    /// <param name="fallbackText">The output when the result message carries no text (the last assistant text).</param>
    /// <param name="exit">How the process ended, when known.</param>
    /// <param name="logTail">The end of the CLI's standard error, for messages.</param>
    public static AgentResult From(string agent, JsonObject? result, Usage usage, string? fallbackText = null, ExitStatus? exit = null, string? logTail = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var tail = string.IsNullOrWhiteSpace(logTail) ? "" : $"; last output: {Secrets.Redact(logTail.Trim())}";
        if (result is null)
        {
            var how = exit is { } e ? $" ({e})" : "";
            var message = $"the claude CLI of agent '{agent}' exited{how} without a result message{tail}";
            return exit is { Signal: not null } ? AgentResult.Transient(message, usage) : AgentResult.Permanent(message, usage);
        }

        var text = ClaudeProtocol.Text(result, "result");
        if (!ClaudeStream.IsError(result))
        {
            var success = AgentResult.Success(text ?? fallbackText ?? "", usage, data: result["structured_output"]?.DeepClone());
            return success;
        }

        var subtype = ClaudeProtocol.Text(result, "subtype") ?? "error";
        var detail = Secrets.Redact(text ?? Errors(result) ?? subtype);
        switch (subtype)
        {
            case "error_max_turns":
                return AgentResult.Permanent($"agent '{agent}' reached its max_turns ({ClaudeProtocol.Long(result, "num_turns")} turns) without finishing: raise max_turns or narrow the task", usage);
            case "error_max_budget_usd":
                return AgentResult.Permanent(string.Create(CultureInfo.InvariantCulture,
                    $"agent '{agent}' reached its max_budget_usd (spent ${usage.CostUsd:0.####}) without finishing: raise max_budget_usd or narrow the task"), usage);
        }

        var status = ApiStatus(result, text);
        if (status is { } code)
        {
            var message = $"Claude API error {code.ToString(CultureInfo.InvariantCulture)} (agent '{agent}'): {detail}";
            return IsTransientStatus(code) ? AgentResult.Transient(message, usage) : AgentResult.Permanent(message, usage);
        }
        if (text is not null && TransientText().IsMatch(text))
            return AgentResult.Transient($"agent '{agent}' failed: {detail}", usage);
        return AgentResult.Permanent($"agent '{agent}' failed ({subtype}): {detail}{tail}", usage);
    }

    /// <summary>True for HTTP statuses worth a retry: 408, 409, 429 and every 5xx (529 is Anthropic's overload).</summary>
    public static bool IsTransientStatus(int status) => status is 408 or 409 or 429 || status >= 500;

    /// <summary>The HTTP status of an API failure: <c>api_error_status</c>, or <c>API Error: NNN</c> in the text.</summary>
    public static int? ApiStatus(JsonObject result, string? text)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (ClaudeProtocol.Number(result["api_error_status"]) is { } status && status is >= 100 and < 600)
            return (int)status;
        if (text is not null && StatusInText().Match(text) is { Success: true } m)
            return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return null;
    }

    private static string? Errors(JsonObject result) =>
        result["errors"] is JsonArray { Count: > 0 } errors
            ? string.Join("; ", errors.Select(e => e is JsonValue v && v.TryGetValue<string>(out var s) ? s : e?.ToJsonString()))
            : null;

    [GeneratedRegex(@"API Error:?\s*(\d{3})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StatusInText();

    [GeneratedRegex(@"overloaded|rate.?limit|timed? ?out|connection (error|refused|reset)|ECONNRESET|ECONNREFUSED|socket hang up|fetch failed", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TransientText();
}
