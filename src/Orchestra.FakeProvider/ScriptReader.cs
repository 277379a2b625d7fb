using System.Globalization;
using System.Text.Json;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.FakeProvider;

/// <summary>Turns a script's JSON into <see cref="FakeReply"/> values; every problem names its field and the fix.</summary>
internal sealed class ScriptReader(string source)
{
    private static readonly string[] ScriptFields = ["replies", "default", "models"];
    private static readonly string[] ReplyFields =
    [
        "text", "chunks", "toolCalls", "usage", "finishReason", "match", "status", "errorMessage", "retryAfter",
        "malformedJson", "cutStreamAfterChunks", "firstByteDelay", "repeat", "sticky",
    ];
    private static readonly string[] ToolCallFields = ["name", "arguments", "id"];
    private static readonly string[] UsageFields = ["inputTokens", "outputTokens", "cachedTokens"];
    private static readonly string[] MatchFields = ["lastUserContains", "systemContains", "model", "protocol", "toolOffered", "hasTools", "afterToolResult"];

    private static readonly Dictionary<string, ProviderProtocol> Protocols = new(StringComparer.OrdinalIgnoreCase)
    {
        ["chat"] = ProviderProtocol.OpenAiChatCompletions,
        ["openai"] = ProviderProtocol.OpenAiChatCompletions,
        ["responses"] = ProviderProtocol.OpenAiResponses,
        ["anthropic"] = ProviderProtocol.AnthropicMessages,
        [nameof(ProviderProtocol.OpenAiChatCompletions)] = ProviderProtocol.OpenAiChatCompletions,
        [nameof(ProviderProtocol.OpenAiResponses)] = ProviderProtocol.OpenAiResponses,
        [nameof(ProviderProtocol.AnthropicMessages)] = ProviderProtocol.AnthropicMessages,
    };

    public FakeReplyScript ReadScript(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
            return new FakeReplyScript { Replies = ReadReplies(root, "replies") };
        CheckObject(root, "the top level", ScriptFields, "an object with \"replies\" (and optionally \"default\", \"models\"), or an array of replies");
        var replies = root.TryGetProperty("replies", out var list) ? ReadReplies(list, "replies") : [];
        var fallback = root.TryGetProperty("default", out var d) ? ReadReply(d, "default") : null;
        if (fallback?.Match is not null)
            throw Fail("default.match", "the default reply answers whatever nothing else matched, so it takes no match; remove it");
        IReadOnlyList<string>? models = null;
        if (root.TryGetProperty("models", out var m))
        {
            if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() == 0 || m.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString())))
                throw Fail("models", "expected a non-empty array of model names such as [\"fake-model\"]");
            models = m.EnumerateArray().Select(e => e.GetString()!).ToList();
        }
        return new FakeReplyScript { Replies = replies, Default = fallback, Models = models };
    }

    private List<FakeReply> ReadReplies(JsonElement list, string where)
    {
        if (list.ValueKind != JsonValueKind.Array)
            throw Fail(where, $"expected an array of replies, got {Describe(list)}");
        return list.EnumerateArray().Select((r, i) => ReadReply(r, $"{where}[{i}]")).ToList();
    }

    private FakeReply ReadReply(JsonElement e, string where)
    {
        CheckObject(e, where, ReplyFields, "an object such as {\"text\": \"hello\"}");
        var reply = new FakeReply
        {
            Text = String(e, "text", where),
            Chunks = Int(e, "chunks", where, 1, int.MaxValue),
            ToolCalls = e.TryGetProperty("toolCalls", out var calls) ? ReadToolCalls(calls, $"{where}.toolCalls") : [],
            Usage = e.TryGetProperty("usage", out var usage) ? ReadUsage(usage, $"{where}.usage") : null,
            FinishReason = String(e, "finishReason", where),
            Match = e.TryGetProperty("match", out var match) ? ReadMatch(match, $"{where}.match").Matches : null,
            Status = Int(e, "status", where, 400, 599),
            ErrorMessage = String(e, "errorMessage", where),
            RetryAfter = Duration(e, "retryAfter", where),
            MalformedJson = Bool(e, "malformedJson", where) ?? false,
            CutStreamAfterChunks = Int(e, "cutStreamAfterChunks", where, 0, int.MaxValue),
            FirstByteDelay = Duration(e, "firstByteDelay", where) ?? TimeSpan.Zero,
            Repeat = Int(e, "repeat", where, 1, int.MaxValue) ?? 1,
            Sticky = Bool(e, "sticky", where) ?? false,
        };
        try
        {
            reply.Validate();
        }
        catch (ArgumentException ex)
        {
            throw Fail(where, ex.Message.TrimEnd('.'));
        }
        return reply;
    }

    private List<FakeToolCall> ReadToolCalls(JsonElement list, string where)
    {
        if (list.ValueKind != JsonValueKind.Array)
            throw Fail(where, $"expected an array such as [{{\"name\": \"read_file\", \"arguments\": {{\"path\": \"a.txt\"}}}}], got {Describe(list)}");
        var calls = new List<FakeToolCall>();
        foreach (var (call, i) in list.EnumerateArray().Select((c, i) => (c, i)))
        {
            var at = $"{where}[{i}]";
            CheckObject(call, at, ToolCallFields, "an object with \"name\" and \"arguments\"");
            var name = String(call, "name", at);
            if (string.IsNullOrWhiteSpace(name))
                throw Fail($"{at}.name", "required: the name of the tool to call");
            var arguments = "{}";
            if (call.TryGetProperty("arguments", out var args))
            {
                arguments = args.ValueKind switch
                {
                    JsonValueKind.Object => args.GetRawText(),
                    JsonValueKind.String => args.GetString()!,
                    _ => throw Fail($"{at}.arguments", $"expected a JSON object (or its text), got {Describe(args)}"),
                };
            }
            calls.Add(new FakeToolCall(name, arguments, String(call, "id", at)));
        }
        return calls;
    }

    private FakeUsage ReadUsage(JsonElement e, string where)
    {
        CheckObject(e, where, UsageFields, "an object such as {\"inputTokens\": 12, \"outputTokens\": 3, \"cachedTokens\": 0}");
        return new FakeUsage(
            Int(e, "inputTokens", where, 0, int.MaxValue) ?? 0,
            Int(e, "outputTokens", where, 0, int.MaxValue) ?? 0,
            Int(e, "cachedTokens", where, 0, int.MaxValue) ?? 0);
    }

    private FakeReplyMatch ReadMatch(JsonElement e, string where)
    {
        CheckObject(e, where, MatchFields, "an object such as {\"lastUserContains\": \"weather\"}");
        ProviderProtocol? protocol = null;
        if (String(e, "protocol", where) is { } name)
        {
            protocol = Protocols.TryGetValue(name, out var p)
                ? p
                : throw Fail($"{where}.protocol", $"unknown protocol '{name}': use chat, responses or anthropic");
        }
        return new FakeReplyMatch
        {
            LastUserContains = String(e, "lastUserContains", where),
            SystemContains = String(e, "systemContains", where),
            Model = String(e, "model", where),
            Protocol = protocol,
            ToolOffered = String(e, "toolOffered", where),
            HasTools = Bool(e, "hasTools", where),
            AfterToolResult = Bool(e, "afterToolResult", where),
        };
    }

    private void CheckObject(JsonElement e, string where, string[] known, string expected)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw Fail(where, $"expected {expected}, got {Describe(e)}");
        foreach (var property in e.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw Fail(where, $"unknown field '{property.Name}' (known fields: {string.Join(", ", known)})");
        }
    }

    private string? String(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Fail($"{where}.{name}", $"expected a string, got {Describe(value)}");
    }

    private bool? Bool(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail($"{where}.{name}", $"expected true or false, got {Describe(value)}"),
        };
    }

    private int? Int(JsonElement e, string name, string where, int min, int max)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        var range = max == int.MaxValue ? $"{min} or more" : $"from {min} to {max}";
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < min || n > max)
            throw Fail($"{where}.{name}", $"expected a whole number {range}, got {Describe(value)}");
        return n;
    }

    private TimeSpan? Duration(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        var text = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetDouble().ToString(CultureInfo.InvariantCulture),
            JsonValueKind.String => value.GetString(),
            _ => null,
        };
        return Durations.TryParse(text, out var duration)
            ? duration
            : throw Fail($"{where}.{name}", $"expected a duration such as \"500ms\", \"2s\" or a number of seconds, got {Describe(value)}");
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"\"{e.GetString()}\"",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => e.GetRawText(),
    };

    private OrchestraException Fail(string where, string problem) =>
        new($"Fake provider script '{source}': {where}: {problem}.", ErrorKind.Usage);
}
