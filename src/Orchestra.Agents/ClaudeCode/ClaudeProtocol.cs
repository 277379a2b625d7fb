using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// The stream-json messages Orchestra writes to the CLI's standard input, one JSON object per line: user messages,
/// control requests (<c>initialize</c>, <c>interrupt</c>) and answers to the CLI's own control requests.
/// </summary>
public static class ClaudeProtocol
{
    /// <summary>The request id of the <c>initialize</c> request.</summary>
    public const string InitializeRequestId = "orchestra_init";

    /// <summary>The callback id of Orchestra's PreToolUse hook.</summary>
    public const string PreToolUseHookId = "orchestra_pre_tool_use";

    /// <summary>The <c>initialize</c> control request, registering one PreToolUse hook for every tool.</summary>
    public static JsonObject Initialize() => new()
    {
        ["type"] = "control_request",
        ["request_id"] = InitializeRequestId,
        ["request"] = new JsonObject
        {
            ["subtype"] = "initialize",
            ["hooks"] = new JsonObject
            {
                ["PreToolUse"] = new JsonArray(new JsonObject
                {
                    ["matcher"] = null,
                    ["hookCallbackIds"] = new JsonArray(PreToolUseHookId),
                }),
            },
        },
    };

    /// <summary>A user message carrying <paramref name="text"/>.</summary>
    public static JsonObject UserMessage(string text, string sessionId = "") => new()
    {
        ["type"] = "user",
        ["session_id"] = sessionId,
        ["parent_tool_use_id"] = null,
        ["message"] = new JsonObject { ["role"] = "user", ["content"] = text },
    };

    /// <summary>The <c>interrupt</c> control request: the CLI stops the current turn and reports a result.</summary>
    public static JsonObject Interrupt(string requestId) => new()
    {
        ["type"] = "control_request",
        ["request_id"] = requestId,
        ["request"] = new JsonObject { ["subtype"] = "interrupt" },
    };

    /// <summary>A successful answer to the CLI's control request <paramref name="requestId"/>.</summary>
    public static JsonObject Success(string requestId, JsonObject response) => new()
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = response },
    };

    /// <summary>An error answer to the CLI's control request <paramref name="requestId"/>.</summary>
    public static JsonObject Error(string requestId, string error) => new()
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = error },
    };

    /// <summary>The answer to a <c>can_use_tool</c> request.</summary>
    public static JsonObject PermissionAnswer(PermissionDecision decision, JsonObject? input) => decision.Allow
        ? new JsonObject { ["behavior"] = "allow", ["updatedInput"] = input?.DeepClone() ?? new JsonObject() }
        : new JsonObject { ["behavior"] = "deny", ["message"] = decision.Reason };

    /// <summary>The answer to a PreToolUse <c>hook_callback</c>: a denial, or no objection.</summary>
    public static JsonObject HookAnswer(PermissionDecision? decision) => decision is { Allow: false } d
        ? new JsonObject
        {
            ["hookSpecificOutput"] = new JsonObject
            {
                ["hookEventName"] = "PreToolUse",
                ["permissionDecision"] = "deny",
                ["permissionDecisionReason"] = d.Reason,
            },
        }
        : new JsonObject();

    /// <summary>Parses one line of the CLI's output; null when it is not a JSON object.</summary>
    public static JsonObject? ParseLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length == 0 || trimmed[0] != '{')
            return null;
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The string at <paramref name="key"/>, or null.</summary>
    internal static string? Text(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The number at <paramref name="key"/> as a long, or 0.</summary>
    internal static long Long(JsonNode? node, string key) =>
        node is JsonObject o && Number(o[key]) is { } d ? (long)d : 0;

    /// <summary>A JSON number, whether parsed or built in code; null for anything else.</summary>
    internal static decimal? Number(JsonNode? node)
    {
        if (node is not JsonValue v)
            return null;
        if (v.TryGetValue<decimal>(out var m))
            return m;
        if (v.TryGetValue<long>(out var l))
            return l;
        if (v.TryGetValue<int>(out var i))
            return i;
        if (v.TryGetValue<double>(out var d) && double.IsFinite(d) && Math.Abs(d) < 1e15)
            return (decimal)d;
        return null;
    }
}
