using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

/// <summary>
/// Reads the JSONL that <c>codex exec --json</c> prints, one line at a time: turns each line into Orchestra events and
/// keeps what decides the result (the thread id, the final agent message, the usage of completed turns, a failed turn).
/// Lines that are not JSON (warnings on standard error share the log) are kept, the last few, for error messages.
/// </summary>
/// <remarks>
/// <para>Events, all persisted unless noted; text is redacted of secrets and clipped to <see cref="TextLimit"/> characters:</para>
/// <list type="bullet">
/// <item><c>thread.started</c> → <c>session.started</c> <c>{thread_id}</c>; <c>turn.started</c> → <c>turn.started</c>.</item>
/// <item><c>turn.completed</c> → <c>usage</c> <c>{input_tokens, cached_tokens, output_tokens, cost_usd}</c>.</item>
/// <item><c>turn.failed</c> → <c>turn.failed</c> <c>{message}</c>; a top-level <c>error</c> → <c>error</c> <c>{message}</c>.</item>
/// <item>Items (<c>item.started</c>, <c>item.updated</c>, <c>item.completed</c>), by type: <c>agent_message</c> → <c>message</c>
/// <c>{item_id, text}</c> when completed; <c>reasoning</c> → <c>thinking</c> <c>{item_id, text}</c> when completed;
/// <c>command_execution</c> → <c>tool_call</c> <c>{tool: "shell", call_id, arguments}</c> when started and <c>tool_result</c>
/// <c>{tool: "shell", call_id, command, exit_code, status, is_error, result}</c> when completed; <c>mcp_tool_call</c> →
/// <c>tool_call</c>/<c>tool_result</c> with <c>tool</c> <c>server/tool</c>; <c>web_search</c> → <c>tool_call</c> <c>{tool: "web_search", query}</c>;
/// <c>file_change</c> → <c>file_change</c> <c>{item_id, status, changes: [{path, kind}]}</c> when completed; <c>todo_list</c> →
/// <c>plan</c> <c>{item_id, items: [{text, completed}]}</c>; an <c>error</c> item (a warning, not a failure) → <c>warning</c> <c>{message}</c>.
/// Updates of other items are streamed as <c>item.progress</c> and not persisted.</item>
/// <item>Anything else → <c>codex.&lt;type&gt;</c> with the clipped line, so that nothing a newer Codex adds is lost.</item>
/// </list>
/// </remarks>
public sealed class CodexTranscript
{
    /// <summary>Longest text kept in one event field.</summary>
    public const int TextLimit = 2000;

    private const int DiagnosticLines = 20;

    private readonly string? _model;
    private readonly PriceTable _prices;
    private readonly Queue<string> _diagnostics = new();
    private readonly List<JsonObject> _changes = [];

    /// <summary>Creates an empty transcript.</summary>
    /// <param name="model">The model the run used, to price its usage; null when unknown (the cost is then 0).</param>
    /// <param name="prices">The price table. Null: <see cref="PriceTable.Default"/>.</param>
    public CodexTranscript(string? model = null, PriceTable? prices = null)
    {
        _model = model;
        _prices = prices ?? PriceTable.Default;
    }

    /// <summary>The thread id Codex reported, which <c>codex exec resume</c> takes.</summary>
    public string? ThreadId { get; private set; }

    /// <summary>The text of the last completed agent message: the run's output.</summary>
    public string? FinalMessage { get; private set; }

    /// <summary>How many turns completed.</summary>
    public int CompletedTurns { get; private set; }

    /// <summary>Tokens of the completed turns, priced when the model is known.</summary>
    public Usage Usage { get; private set; }

    /// <summary>The message of a failed turn (<c>turn.failed</c>), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>The message of the last top-level <c>error</c> event, or null. Codex also reports retries this way.</summary>
    public string? LastError { get; private set; }

    /// <summary>The files a completed <c>file_change</c> reported, each <c>{path, kind}</c>, in order.</summary>
    public IReadOnlyList<JsonObject> FileChanges => _changes;

    /// <summary>The last lines that were not JSON events (warnings and errors on standard error), oldest first.</summary>
    public IReadOnlyCollection<string> Diagnostics => _diagnostics;

    /// <summary>True once any line was a Codex JSON event.</summary>
    public bool SawEvents { get; private set; }

    /// <summary>Reads one line of output and reports its events through <paramref name="emit"/>.</summary>
    public void Read(string line, Action<AgentEvent> emit)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(emit);
        var trimmed = line.Trim();
        if (trimmed.Length == 0)
            return;
        if (Parse(trimmed) is not { } json || Text(json, "type") is not { } type)
        {
            Diagnose(trimmed);
            return;
        }
        SawEvents = true;
        switch (type)
        {
            case "thread.started":
                ThreadId = Text(json, "thread_id") ?? ThreadId;
                emit(new AgentEvent("session.started", new JsonObject { ["thread_id"] = ThreadId }));
                break;
            case "turn.started":
                emit(new AgentEvent("turn.started", new JsonObject()));
                break;
            case "turn.completed":
                CompletedTurns++;
                var turn = ReadUsage(json["usage"] as JsonObject);
                Usage += turn;
                emit(new AgentEvent("usage", new JsonObject
                {
                    ["input_tokens"] = turn.InputTokens,
                    ["cached_tokens"] = turn.CachedTokens,
                    ["output_tokens"] = turn.OutputTokens,
                    ["cost_usd"] = turn.CostUsd,
                }));
                break;
            case "turn.failed":
                Failure = Text(json["error"] as JsonObject, "message") ?? Text(json, "message") ?? "the turn failed without a message";
                emit(new AgentEvent("turn.failed", new JsonObject { ["message"] = Clip(Failure) }));
                break;
            case "error":
                LastError = Text(json, "message") ?? "error without a message";
                emit(new AgentEvent("error", new JsonObject { ["message"] = Clip(LastError) }));
                break;
            case "item.started" or "item.updated" or "item.completed" when json["item"] is JsonObject item:
                ReadItem(type["item.".Length..], item, emit);
                break;
            default:
                emit(new AgentEvent("codex." + type, new JsonObject { ["line"] = Clip(trimmed) }));
                break;
        }
    }

    private void ReadItem(string phase, JsonObject item, Action<AgentEvent> emit)
    {
        var id = Text(item, "id");
        var itemType = Text(item, "type") ?? "unknown";
        var completed = phase == "completed";
        switch (itemType)
        {
            case "agent_message":
                if (completed)
                {
                    FinalMessage = Text(item, "text") ?? "";
                    emit(new AgentEvent("message", new JsonObject { ["item_id"] = id, ["text"] = Clip(FinalMessage) }));
                }
                else
                    emit(Progress(id, itemType, Text(item, "text")));
                break;
            case "reasoning":
                emit(completed
                    ? new AgentEvent("thinking", new JsonObject { ["item_id"] = id, ["text"] = Clip(Text(item, "text")) })
                    : Progress(id, itemType, Text(item, "text")));
                break;
            case "command_execution":
                var command = Text(item, "command");
                if (phase == "started")
                    emit(new AgentEvent("tool_call", new JsonObject { ["tool"] = "shell", ["call_id"] = id, ["arguments"] = Clip(command) }));
                else if (completed)
                {
                    var status = Text(item, "status");
                    var exit = item["exit_code"] is JsonValue e && e.TryGetValue<int>(out var code) ? code : (int?)null;
                    emit(new AgentEvent("tool_result", new JsonObject
                    {
                        ["tool"] = "shell",
                        ["call_id"] = id,
                        ["command"] = Clip(command),
                        ["exit_code"] = exit,
                        ["status"] = status,
                        ["is_error"] = status is "failed" or "declined" || exit is not (null or 0),
                        ["result"] = Clip(Text(item, "aggregated_output")),
                    }));
                }
                else
                    emit(Progress(id, itemType, Text(item, "aggregated_output")));
                break;
            case "mcp_tool_call":
                var tool = $"{Text(item, "server")}/{Text(item, "tool")}";
                if (phase == "started")
                    emit(new AgentEvent("tool_call", new JsonObject { ["tool"] = tool, ["call_id"] = id, ["arguments"] = Clip(Json(item["arguments"])) }));
                else if (completed)
                {
                    var status = Text(item, "status");
                    var error = Text(item["error"] as JsonObject, "message");
                    emit(new AgentEvent("tool_result", new JsonObject
                    {
                        ["tool"] = tool,
                        ["call_id"] = id,
                        ["status"] = status,
                        ["is_error"] = status == "failed" || error is not null,
                        ["result"] = Clip(error ?? Json(item["result"])),
                    }));
                }
                else
                    emit(Progress(id, itemType, null));
                break;
            case "web_search":
                if (phase == "started")
                    emit(new AgentEvent("tool_call", new JsonObject { ["tool"] = "web_search", ["call_id"] = id, ["arguments"] = Clip(Text(item, "query")) }));
                else if (completed)
                    emit(new AgentEvent("tool_result", new JsonObject { ["tool"] = "web_search", ["call_id"] = id, ["is_error"] = false, ["result"] = Clip(Text(item, "query")) }));
                break;
            case "file_change":
                if (completed)
                {
                    var changes = new JsonArray();
                    foreach (var change in item["changes"] as JsonArray ?? [])
                    {
                        if (change is not JsonObject c)
                            continue;
                        var entry = new JsonObject { ["path"] = Text(c, "path"), ["kind"] = Text(c, "kind") };
                        _changes.Add((JsonObject)entry.DeepClone());
                        changes.Add(entry);
                    }
                    emit(new AgentEvent("file_change", new JsonObject { ["item_id"] = id, ["status"] = Text(item, "status"), ["changes"] = changes }));
                }
                break;
            case "todo_list":
                var items = new JsonArray();
                foreach (var todo in item["items"] as JsonArray ?? [])
                {
                    if (todo is JsonObject t)
                        items.Add(new JsonObject { ["text"] = Clip(Text(t, "text")), ["completed"] = t["completed"] is JsonValue v && v.TryGetValue<bool>(out var b) && b });
                }
                emit(new AgentEvent("plan", new JsonObject { ["item_id"] = id, ["items"] = items }));
                break;
            case "error":
                emit(new AgentEvent("warning", new JsonObject { ["item_id"] = id, ["message"] = Clip(Text(item, "message")) }));
                break;
            default:
                emit(new AgentEvent("codex." + itemType, new JsonObject { ["phase"] = phase, ["item"] = Clip(item.ToJsonString()) }, Persist: completed));
                break;
        }
    }

    private Usage ReadUsage(JsonObject? usage)
    {
        var result = new Usage
        {
            InputTokens = Number(usage, "input_tokens"),
            CachedTokens = Number(usage, "cached_input_tokens"),
            OutputTokens = Number(usage, "output_tokens"),
        };
        return _model is null ? result : result with { CostUsd = _prices.Cost(_model, result) };
    }

    private void Diagnose(string line)
    {
        // A Rust backtrace says nothing a user can act on, and would push the error line above it out of the queue.
        if (IsBacktrace(line))
            return;
        _diagnostics.Enqueue(Clip(line)!);
        while (_diagnostics.Count > DiagnosticLines)
            _diagnostics.Dequeue();
    }

    private static bool IsBacktrace(string line)
    {
        if (line == "Stack backtrace:" || line.StartsWith("at ", StringComparison.Ordinal))
            return true;
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
            digits++;
        return digits > 0 && line.AsSpan(digits).StartsWith(": ", StringComparison.Ordinal);
    }

    private static AgentEvent Progress(string? id, string type, string? text) =>
        new("item.progress", new JsonObject { ["item_id"] = id, ["item_type"] = type, ["text"] = Clip(text) }, Persist: false);

    private static JsonObject? Parse(string line)
    {
        if (!line.StartsWith('{'))
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

    private static string? Text(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Number(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.TryGetValue<long>(out var n) && n > 0 ? n : 0;

    private static string? Json(JsonNode? node) => node?.ToJsonString();

    /// <summary>Redacts secrets, then keeps at most <see cref="TextLimit"/> characters.</summary>
    internal static string? Clip(string? text)
    {
        if (text is null)
            return null;
        text = Secrets.Redact(text);
        return text.Length <= TextLimit ? text : text[..TextLimit] + "…";
    }
}
