using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.FakeProvider;

/// <summary>
/// The OpenAI Responses API (<c>POST /v1/responses</c>), streamed the way Codex CLI reads it: every output item is
/// announced, filled by deltas and closed, and the stream ends with <c>response.completed</c> carrying usage.
/// Errors use the OpenAI shape (<see cref="OpenAiProtocol.WriteErrorAsync"/>).
/// </summary>
internal static class ResponsesProtocol
{
    public static RequestFacts Read(JsonElement body)
    {
        var input = JsonRead.Property(body, "input");
        var system = new List<string>();
        if (JsonRead.String(body, "instructions") is { } instructions)
            system.Add(instructions);
        if (input.ValueKind == JsonValueKind.String)
            return Facts(body, input.GetString() ?? "", system, null, 1);

        var items = JsonRead.Array(body, "input");
        var lastUser = "";
        foreach (var item in items)
        {
            if (JsonRead.String(item, "type") is not (null or "message"))
                continue;
            var role = JsonRead.String(item, "role");
            var text = JsonRead.Text(JsonRead.Property(item, "content"));
            if (role is "system" or "developer")
                system.Add(text);
            else if (role == "user" && text.Length > 0)
                lastUser = text;
        }
        var results = items.AsEnumerable().Reverse().TakeWhile(i => JsonRead.String(i, "type") == "function_call_output")
            .Reverse().Select(i => JsonRead.Text(JsonRead.Property(i, "output"))).ToList();
        return Facts(body, lastUser, system, results.Count > 0 ? string.Join('\n', results) : null, items.Count);
    }

    private static RequestFacts Facts(JsonElement body, string lastUser, List<string> system, string? results, int count)
    {
        var tools = JsonRead.Array(body, "tools").Select(t => JsonRead.String(t, "name") ?? JsonRead.String(t, "type") ?? "").ToList();
        return new RequestFacts(JsonRead.String(body, "model"), JsonRead.Bool(body, "stream"), lastUser, JsonRead.JoinOrNull(system), tools, results, count);
    }

    /// <summary>What makes the request one the real API would refuse, or null.</summary>
    public static string? Problem(JsonElement body) =>
        JsonRead.String(body, "model") is null ? "Missing required parameter: 'model'." : null;

    public static async Task WriteReplyAsync(Exchange exchange, ReplyPlan plan)
    {
        var response = new ResponseShape(exchange, plan);
        if (!exchange.Request.IsStreaming)
        {
            await exchange.WriteReplyJsonAsync(response.Build(final: true), plan).ConfigureAwait(false);
            return;
        }

        var sse = await exchange.StartSseAsync(plan).ConfigureAwait(false);
        var sequence = 0;
        Task Send(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            return sse.WriteAsync(type, data);
        }

        await Send("response.created", new JsonObject { ["response"] = response.Build(final: false) }).ConfigureAwait(false);
        if (plan.Reply.MalformedJson)
        {
            await sse.WriteMalformedAsync("response.in_progress").ConfigureAwait(false);
            return;
        }
        await Send("response.in_progress", new JsonObject { ["response"] = response.Build(final: false) }).ConfigureAwait(false);
        for (var index = 0; index < response.Items.Count; index++)
        {
            var item = response.Items[index];
            var itemId = item.Id;
            await Send("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = item.Started() }).ConfigureAwait(false);
            if (item.Call is null)
            {
                JsonObject Part() => new() { ["item_id"] = itemId, ["output_index"] = index, ["content_index"] = 0 };
                await Send("response.content_part.added", With(Part(), "part", OutputText(""))).ConfigureAwait(false);
                foreach (var piece in plan.TextChunks)
                    await Send("response.output_text.delta", With(With(Part(), "delta", piece), "logprobs", new JsonArray())).ConfigureAwait(false);
                await Send("response.output_text.done", With(With(Part(), "text", plan.Text), "logprobs", new JsonArray())).ConfigureAwait(false);
                await Send("response.content_part.done", With(Part(), "part", OutputText(plan.Text!))).ConfigureAwait(false);
            }
            else
            {
                foreach (var piece in item.Call.ArgumentChunks)
                    await Send("response.function_call_arguments.delta", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["delta"] = piece }).ConfigureAwait(false);
                await Send("response.function_call_arguments.done", new JsonObject
                {
                    ["item_id"] = itemId,
                    ["output_index"] = index,
                    ["name"] = item.Call.Name,
                    ["arguments"] = item.Call.Arguments,
                }).ConfigureAwait(false);
            }
            await Send("response.output_item.done", new JsonObject { ["output_index"] = index, ["item"] = item.Done() }).ConfigureAwait(false);
        }
        var final = response.Build(final: true);
        await Send(response.Incomplete ? "response.incomplete" : "response.completed", new JsonObject { ["response"] = final }).ConfigureAwait(false);
    }

    private static JsonObject With(JsonObject obj, string name, JsonNode? value)
    {
        obj[name] = value;
        return obj;
    }

    private static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
        ["logprobs"] = new JsonArray(),
    };

    /// <summary>The response object and its output items, in the states the stream reports them.</summary>
    private sealed class ResponseShape
    {
        private readonly Exchange _exchange;
        private readonly ReplyPlan _plan;
        private readonly string _id;
        private readonly long _created;

        public ResponseShape(Exchange exchange, ReplyPlan plan)
        {
            _exchange = exchange;
            _plan = plan;
            _id = exchange.Ids.Next("resp_fake");
            _created = exchange.UnixNow;
            if (plan.Text is not null)
                Items.Add(new OutputItem(exchange.Ids.Next("msg_fake"), null, plan.Text));
            foreach (var call in plan.ToolCalls)
                Items.Add(new OutputItem(exchange.Ids.Next("fc_fake"), call with { Id = call.Id ?? exchange.Ids.Next("call_fake") }, null));
        }

        public List<OutputItem> Items { get; } = [];

        /// <summary>A token limit or a content filter ends a response as <c>incomplete</c> rather than <c>completed</c>.</summary>
        public bool Incomplete => _plan.Finish.IsLength || _plan.Finish.IsContentFilter;

        public JsonObject Build(bool final)
        {
            var request = _exchange.Request.Json ?? default;
            return new JsonObject
            {
                ["id"] = _id,
                ["object"] = "response",
                ["created_at"] = _created,
                ["status"] = !final ? "in_progress" : Incomplete ? "incomplete" : "completed",
                ["background"] = false,
                ["error"] = null,
                ["incomplete_details"] = final && Incomplete
                    ? new JsonObject { ["reason"] = _plan.Finish.IsLength ? "max_output_tokens" : "content_filter" }
                    : null,
                ["instructions"] = JsonRead.String(request, "instructions"),
                ["max_output_tokens"] = null,
                ["model"] = _plan.Model,
                ["output"] = final ? new JsonArray(Items.Select(i => (JsonNode)i.Done()).ToArray()) : new JsonArray(),
                ["parallel_tool_calls"] = true,
                ["previous_response_id"] = JsonRead.String(request, "previous_response_id"),
                ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
                ["store"] = !JsonRead.Has(request, "store", JsonValueKind.False),
                ["temperature"] = 1.0,
                ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
                ["tool_choice"] = "auto",
                ["tools"] = new JsonArray(),
                ["top_p"] = 1.0,
                ["truncation"] = "disabled",
                ["usage"] = final ? Usage(_plan.Usage) : null,
                ["user"] = null,
                ["metadata"] = new JsonObject(),
            };
        }

        private static JsonObject Usage(FakeUsage usage) => new()
        {
            ["input_tokens"] = usage.InputTokens,
            ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens },
            ["output_tokens"] = usage.OutputTokens,
            ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = usage.InputTokens + usage.OutputTokens,
        };
    }

    /// <summary>One output item: an assistant message (<see cref="Text"/>) or a function call (<see cref="Call"/>).</summary>
    private sealed record OutputItem(string Id, PlannedCall? Call, string? Text)
    {
        public JsonObject Started() => Call is null
            ? new() { ["id"] = Id, ["type"] = "message", ["status"] = "in_progress", ["role"] = "assistant", ["content"] = new JsonArray() }
            : FunctionCall("in_progress", "");

        public JsonObject Done() => Call is null
            ? new() { ["id"] = Id, ["type"] = "message", ["status"] = "completed", ["role"] = "assistant", ["content"] = new JsonArray(OutputText(Text!)) }
            : FunctionCall("completed", Call.Arguments);

        private JsonObject FunctionCall(string status, string arguments) => new()
        {
            ["id"] = Id,
            ["type"] = "function_call",
            ["status"] = status,
            ["call_id"] = Call!.Id,
            ["name"] = Call.Name,
            ["arguments"] = arguments,
        };
    }
}
