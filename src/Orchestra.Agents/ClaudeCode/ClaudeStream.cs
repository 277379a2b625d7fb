using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// Reads the messages the CLI writes to standard output (other than control messages) and turns each into
/// <see cref="AgentEvent"/>s, keeping what the step's result needs: the session id, the usage and cost, the last
/// assistant text and the last <c>result</c> message.
/// </summary>
/// <remarks>
/// Event kinds: <c>init</c> (system init: session, model, tools, permission mode, CLI version), <c>system</c> (other system
/// messages such as <c>api_retry</c>; <c>status</c> ones are not stored), <c>assistant</c> (a text block),
/// <c>thinking</c>, <c>tool_call</c> (a <c>tool_use</c> block), <c>tool_result</c>, <c>user</c> (other user content),
/// <c>token</c> (a streamed text delta, not stored), <c>rate_limit</c>, <c>result</c>, <c>message</c> (a type this
/// version does not know) and <c>output</c> (a line that is not JSON). Texts are clipped to 2,000 characters and
/// passed through <see cref="Secrets.Redact"/>.
/// </remarks>
public sealed class ClaudeStream
{
    /// <summary>The longest text put in an event.</summary>
    public const int EventTextLimit = 2000;

    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
    private long _inputTokens;
    private long _outputTokens;
    private long _cachedTokens;
    private decimal _cost;

    /// <summary>The CLI's session id, from its init message or its result.</summary>
    public string? SessionId { get; private set; }

    /// <summary>The model named in the init message.</summary>
    public string? Model { get; private set; }

    /// <summary>The most recent <c>result</c> message.</summary>
    public JsonObject? Result { get; private set; }

    /// <summary>How many <c>result</c> messages were read (one per user message answered).</summary>
    public int Results { get; private set; }

    /// <summary>The text of the most recent assistant text block.</summary>
    public string? LastAssistantText { get; private set; }

    /// <summary>The tokens of every result so far and the cost the CLI reported last (its cost is a running total).</summary>
    public Usage Usage => new() { InputTokens = _inputTokens, OutputTokens = _outputTokens, CachedTokens = _cachedTokens, CostUsd = _cost };

    /// <summary>Reads one line of output: its events (none for an empty line).</summary>
    public IReadOnlyList<AgentEvent> ReadLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Trim().Length == 0)
            return [];
        return ClaudeProtocol.ParseLine(line) is { } message
            ? Read(message)
            : [new AgentEvent("output", new JsonObject { ["text"] = Clip(line) })];
    }

    /// <summary>Reads one parsed message: its events.</summary>
    public IReadOnlyList<AgentEvent> Read(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = ClaudeProtocol.Text(message, "type");
        return type switch
        {
            "system" => ReadSystem(message),
            "assistant" => ReadAssistant(message),
            "user" => ReadUser(message),
            "stream_event" => ReadStreamEvent(message),
            "result" => [ReadResult(message)],
            "rate_limit_event" => [new AgentEvent("rate_limit", Summary(message))],
            _ => [new AgentEvent("message", new JsonObject { ["type"] = type, ["json"] = Clip(message.ToJsonString()) })],
        };
    }

    private List<AgentEvent> ReadSystem(JsonObject message)
    {
        var subtype = ClaudeProtocol.Text(message, "subtype");
        if (subtype == "init")
        {
            SessionId = ClaudeProtocol.Text(message, "session_id") ?? SessionId;
            Model = ClaudeProtocol.Text(message, "model") ?? Model;
            var data = new JsonObject
            {
                ["session_id"] = SessionId,
                ["model"] = Model,
                ["cwd"] = ClaudeProtocol.Text(message, "cwd"),
                ["permission_mode"] = ClaudeProtocol.Text(message, "permissionMode"),
                ["claude_code_version"] = ClaudeProtocol.Text(message, "claude_code_version"),
                ["tools"] = message["tools"]?.DeepClone(),
                ["mcp_servers"] = message["mcp_servers"]?.DeepClone(),
            };
            return [new AgentEvent("init", data)];
        }
        return [new AgentEvent("system", Summary(message), Persist: subtype != "status")];
    }

    private List<AgentEvent> ReadAssistant(JsonObject message)
    {
        var events = new List<AgentEvent>();
        var parent = ClaudeProtocol.Text(message, "parent_tool_use_id");
        var error = ClaudeProtocol.Text(message, "error");
        if (message["message"] is not JsonObject body || body["content"] is not JsonArray content)
            return [new AgentEvent("assistant", new JsonObject { ["text"] = "", ["error"] = error })];
        foreach (var block in content.OfType<JsonObject>())
        {
            switch (ClaudeProtocol.Text(block, "type"))
            {
                case "text":
                    var text = ClaudeProtocol.Text(block, "text") ?? "";
                    if (parent is null)
                        LastAssistantText = text;
                    var data = new JsonObject { ["text"] = Clip(text) };
                    if (ClaudeProtocol.Text(body, "model") is { } model)
                        data["model"] = model;
                    if (parent is not null)
                        data["parent_tool_use_id"] = parent;
                    if (error is not null)
                        data["error"] = error;
                    events.Add(new AgentEvent("assistant", data));
                    break;
                case "thinking":
                    events.Add(new AgentEvent("thinking", new JsonObject { ["text"] = Clip(ClaudeProtocol.Text(block, "thinking") ?? "") }));
                    break;
                case "redacted_thinking":
                    events.Add(new AgentEvent("thinking", new JsonObject { ["redacted"] = true }));
                    break;
                case "tool_use" or "server_tool_use":
                    var id = ClaudeProtocol.Text(block, "id") ?? "";
                    var name = ClaudeProtocol.Text(block, "name") ?? "?";
                    _toolNames[id] = name;
                    var call = new JsonObject
                    {
                        ["tool"] = name,
                        ["call_id"] = id,
                        ["arguments"] = Clip(block["input"]?.ToJsonString() ?? "{}"),
                    };
                    if (parent is not null)
                        call["parent_tool_use_id"] = parent;
                    events.Add(new AgentEvent("tool_call", call));
                    break;
                default:
                    events.Add(new AgentEvent("message", new JsonObject { ["type"] = "assistant", ["json"] = Clip(block.ToJsonString()) }));
                    break;
            }
        }
        return events;
    }

    private List<AgentEvent> ReadUser(JsonObject message)
    {
        var content = (message["message"] as JsonObject)?["content"];
        if (content is JsonValue)
            return [new AgentEvent("user", new JsonObject { ["text"] = Clip(ClaudeProtocol.Text(message["message"], "content") ?? "") })];
        var events = new List<AgentEvent>();
        foreach (var block in (content as JsonArray ?? []).OfType<JsonObject>())
        {
            if (ClaudeProtocol.Text(block, "type") == "tool_result")
            {
                var id = ClaudeProtocol.Text(block, "tool_use_id") ?? "";
                events.Add(new AgentEvent("tool_result", new JsonObject
                {
                    ["tool"] = _toolNames.GetValueOrDefault(id, "?"),
                    ["call_id"] = id,
                    ["is_error"] = block["is_error"] is JsonValue e && e.TryGetValue<bool>(out var isError) && isError,
                    ["result"] = Clip(ContentText(block["content"])),
                }));
            }
            else
            {
                events.Add(new AgentEvent("user", new JsonObject { ["text"] = Clip(ContentText(new JsonArray(block.DeepClone()))) }));
            }
        }
        return events;
    }

    private static List<AgentEvent> ReadStreamEvent(JsonObject message)
    {
        if (message["event"] is JsonObject e && ClaudeProtocol.Text(e, "type") == "content_block_delta"
            && e["delta"] is JsonObject delta && ClaudeProtocol.Text(delta, "type") == "text_delta"
            && ClaudeProtocol.Text(delta, "text") is { Length: > 0 } text
            && message["parent_tool_use_id"] is null)
            return [new AgentEvent("token", new JsonObject { ["text"] = text }, Persist: false)];
        return [];
    }

    private AgentEvent ReadResult(JsonObject message)
    {
        Result = message;
        Results++;
        SessionId = ClaudeProtocol.Text(message, "session_id") ?? SessionId;
        var usage = message["usage"] as JsonObject;
        var input = ClaudeProtocol.Long(usage, "input_tokens");
        var creation = ClaudeProtocol.Long(usage, "cache_creation_input_tokens");
        var read = ClaudeProtocol.Long(usage, "cache_read_input_tokens");
        var output = ClaudeProtocol.Long(usage, "output_tokens");
        _inputTokens += input + creation + read;
        _cachedTokens += read;
        _outputTokens += output;
        if (ClaudeProtocol.Number(message["total_cost_usd"]) is { } cost)
            _cost = Math.Max(_cost, cost);
        var data = new JsonObject
        {
            ["subtype"] = ClaudeProtocol.Text(message, "subtype"),
            ["is_error"] = IsError(message),
            ["num_turns"] = ClaudeProtocol.Long(message, "num_turns"),
            ["session_id"] = SessionId,
            ["total_cost_usd"] = _cost,
            ["input_tokens"] = input + creation + read,
            ["cached_tokens"] = read,
            ["output_tokens"] = output,
            ["duration_ms"] = ClaudeProtocol.Long(message, "duration_ms"),
            ["stop_reason"] = ClaudeProtocol.Text(message, "stop_reason"),
        };
        if (ClaudeProtocol.Number(message["api_error_status"]) is { } status)
            data["api_error_status"] = (int)status;
        if (message["permission_denials"] is JsonArray { Count: > 0 } denials)
            data["permission_denials"] = new JsonArray(denials.Select(d => (JsonNode?)ClaudeProtocol.Text(d, "tool_name")).ToArray());
        if (IsError(message) && ClaudeProtocol.Text(message, "result") is { } text)
            data["error"] = Clip(text);
        return new AgentEvent("result", data);
    }

    /// <summary>True when a result message reports a failure.</summary>
    public static bool IsError(JsonObject result) =>
        result["is_error"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : ClaudeProtocol.Text(result, "subtype") is { } s && s != "success";

    /// <summary>A system or other message without its bookkeeping fields, as event data.</summary>
    private static JsonObject Summary(JsonObject message)
    {
        var data = new JsonObject();
        foreach (var (key, value) in message)
        {
            if (key is "type" or "uuid" or "session_id")
                continue;
            data[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? Clip(s) : Shorten(value);
        }
        return data;
    }

    private static JsonNode? Shorten(JsonNode? node)
    {
        if (node is null)
            return null;
        var json = node.ToJsonString();
        return json.Length <= EventTextLimit ? node.DeepClone() : Clip(json);
    }

    /// <summary>The text of a tool result's content: a string, or the text blocks of an array.</summary>
    private static string ContentText(JsonNode? content)
    {
        switch (content)
        {
            case null:
                return "";
            case JsonValue v when v.TryGetValue<string>(out var s):
                return s;
            case JsonArray blocks:
                var text = new StringBuilder();
                foreach (var block in blocks.OfType<JsonObject>())
                {
                    if (text.Length > 0)
                        text.Append('\n');
                    text.Append(ClaudeProtocol.Text(block, "text") ?? $"[{ClaudeProtocol.Text(block, "type") ?? "content"}]");
                }
                return text.ToString();
            default:
                return content.ToJsonString();
        }
    }

    private static string Clip(string text)
    {
        var redacted = Secrets.Redact(text);
        return redacted.Length <= EventTextLimit
            ? redacted
            : string.Create(CultureInfo.InvariantCulture, $"{redacted[..EventTextLimit]}... ({redacted.Length} characters)");
    }
}
