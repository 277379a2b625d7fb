using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.FakeProvider;

/// <summary>
/// Anthropic Messages (<c>POST /v1/messages</c>), token counting, the Anthropic model list and the Anthropic
/// error shape.
/// </summary>
internal static class AnthropicProtocol
{
    public static RequestFacts Read(JsonElement body)
    {
        var messages = JsonRead.Array(body, "messages");
        var lastUser = "";
        foreach (var message in messages.Where(m => JsonRead.String(m, "role") == "user"))
        {
            var text = JsonRead.Text(JsonRead.Property(message, "content"), "tool_result");
            if (text.Length > 0)
                lastUser = text;
        }
        string? results = null;
        if (messages.Count > 0 && JsonRead.String(messages[^1], "role") == "user")
        {
            var blocks = JsonRead.Array(messages[^1], "content").Where(b => JsonRead.String(b, "type") == "tool_result").ToList();
            if (blocks.Count > 0)
                results = string.Join('\n', blocks.Select(b => JsonRead.Text(JsonRead.Property(b, "content"))));
        }
        var system = JsonRead.Text(JsonRead.Property(body, "system"));
        var tools = JsonRead.Array(body, "tools").Select(t => JsonRead.String(t, "name") ?? JsonRead.String(t, "type") ?? "").ToList();
        return new RequestFacts(JsonRead.String(body, "model"), JsonRead.Bool(body, "stream"), lastUser,
            system.Length > 0 ? system : null, tools, results, messages.Count);
    }

    /// <summary>What makes the request one the real API would refuse, or null.</summary>
    public static string? Problem(JsonElement body, bool countingTokens) =>
        JsonRead.String(body, "model") is null ? "model: Field required"
        : !JsonRead.Has(body, "messages", JsonValueKind.Array) ? "messages: Field required"
        : !countingTokens && !JsonRead.Has(body, "max_tokens", JsonValueKind.Number) ? "max_tokens: Field required"
        : null;

    public static async Task WriteReplyAsync(Exchange exchange, ReplyPlan plan)
    {
        var id = exchange.Ids.Next("msg_fake");
        var calls = plan.ToolCalls.Select(c => c with { Id = c.Id ?? exchange.Ids.Next("toolu_fake") }).ToList();
        var stop = plan.Finish.ForAnthropic;
        if (!exchange.Request.IsStreaming)
        {
            var content = new JsonArray();
            if (plan.Text is not null)
                content.Add(TextBlock(plan.Text));
            foreach (var call in calls)
                content.Add(ToolUseBlock(call, JsonNode.Parse(call.Arguments)));
            var message = Message(id, plan.Model, content, stop, Usage(plan.Usage, plan.Usage.OutputTokens));
            await exchange.WriteReplyJsonAsync(message, plan).ConfigureAwait(false);
            return;
        }

        var sse = await exchange.StartSseAsync(plan).ConfigureAwait(false);
        // message_start carries the prompt side of usage; the output count arrives with message_delta.
        await sse.WriteAsync("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = Message(id, plan.Model, [], null, Usage(plan.Usage, Math.Min(1, plan.Usage.OutputTokens))),
        }).ConfigureAwait(false);
        if (plan.Reply.MalformedJson)
        {
            await sse.WriteMalformedAsync("content_block_delta").ConfigureAwait(false);
            return;
        }
        await sse.WriteAsync("ping", new JsonObject { ["type"] = "ping" }).ConfigureAwait(false);
        var index = 0;
        if (plan.Text is not null)
        {
            await StartBlockAsync(sse, index, TextBlock("")).ConfigureAwait(false);
            foreach (var piece in plan.TextChunks)
                await DeltaAsync(sse, index, new JsonObject { ["type"] = "text_delta", ["text"] = piece }).ConfigureAwait(false);
            await StopBlockAsync(sse, index++).ConfigureAwait(false);
        }
        foreach (var call in calls)
        {
            await StartBlockAsync(sse, index, ToolUseBlock(call, new JsonObject())).ConfigureAwait(false);
            foreach (var piece in call.ArgumentChunks)
                await DeltaAsync(sse, index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece }).ConfigureAwait(false);
            await StopBlockAsync(sse, index++).ConfigureAwait(false);
        }
        await sse.WriteAsync("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null },
            ["usage"] = DeltaUsage(plan.Usage),
        }).ConfigureAwait(false);
        await sse.WriteAsync("message_stop", new JsonObject { ["type"] = "message_stop" }).ConfigureAwait(false);
    }

    private static Task StartBlockAsync(SseWriter sse, int index, JsonObject block) =>
        sse.WriteAsync("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = block });

    private static Task DeltaAsync(SseWriter sse, int index, JsonObject delta) =>
        sse.WriteAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta });

    private static Task StopBlockAsync(SseWriter sse, int index) =>
        sse.WriteAsync("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });

    private static JsonObject TextBlock(string text) => new() { ["type"] = "text", ["text"] = text };

    private static JsonObject ToolUseBlock(PlannedCall call, JsonNode? input) => new()
    {
        ["type"] = "tool_use",
        ["id"] = call.Id,
        ["name"] = call.Name,
        ["input"] = input,
        ["caller"] = new JsonObject { ["type"] = "direct" },
    };

    private static JsonObject Message(string id, string model, JsonArray content, string? stop, JsonObject usage) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = content,
        ["stop_reason"] = stop,
        ["stop_sequence"] = null,
        ["usage"] = usage,
    };

    // Anthropic counts cached prompt tokens apart from input_tokens; FakeUsage.InputTokens includes them.
    private static JsonObject Usage(FakeUsage usage, int outputTokens) => new()
    {
        ["input_tokens"] = usage.InputTokens - usage.CachedTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = usage.CachedTokens,
        ["output_tokens"] = outputTokens,
        ["service_tier"] = "standard",
    };

    private static JsonObject DeltaUsage(FakeUsage usage) => new()
    {
        ["input_tokens"] = usage.InputTokens - usage.CachedTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = usage.CachedTokens,
        ["output_tokens"] = usage.OutputTokens,
    };

    /// <summary><c>POST /v1/messages/count_tokens</c>: about four characters a token of the request body.</summary>
    public static Task WriteCountTokensAsync(Exchange exchange) =>
        exchange.WriteJsonAsync(200, new JsonObject { ["input_tokens"] = Math.Max(1, exchange.Request.Body.Length / 4) });

    /// <summary><c>GET /v1/models</c>, or <c>GET /v1/models/{id}</c> when <paramref name="id"/> is set.</summary>
    public static Task WriteModelsAsync(Exchange exchange, IReadOnlyList<string> models, string? id)
    {
        var created = exchange.Now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        JsonObject Model(string name) => new() { ["type"] = "model", ["id"] = name, ["display_name"] = name, ["created_at"] = created };
        if (id is null)
        {
            return exchange.WriteJsonAsync(200, new JsonObject
            {
                ["data"] = new JsonArray(models.Select(m => (JsonNode)Model(m)).ToArray()),
                ["has_more"] = false,
                ["first_id"] = models[0],
                ["last_id"] = models[^1],
            });
        }
        return models.Contains(id, StringComparer.Ordinal)
            ? exchange.WriteJsonAsync(200, Model(id))
            : WriteErrorAsync(exchange, 404, $"model: {id}", null);
    }

    /// <summary>An error in Anthropic's shape: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    public static Task WriteErrorAsync(Exchange exchange, int status, string? message, TimeSpan? retryAfter)
    {
        var (type, defaultMessage) = status switch
        {
            400 => ("invalid_request_error", "Invalid request."),
            401 => ("authentication_error", "invalid x-api-key"),
            402 => ("billing_error", "Your credit balance is too low."),
            403 => ("permission_error", "Your API key does not have permission to use the specified resource."),
            404 => ("not_found_error", "Not found."),
            413 => ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
            429 => ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
            504 => ("timeout_error", "Request timed out."),
            529 => ("overloaded_error", "Overloaded"),
            >= 500 => ("api_error", "Internal server error"),
            _ => ("invalid_request_error", "The request failed."),
        };
        var requestId = exchange.Ids.Next("req_fake");
        exchange.Http.Response.Headers["request-id"] = requestId;
        return exchange.WriteJsonAsync(status, new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message ?? defaultMessage },
            ["request_id"] = requestId,
        }, retryAfter);
    }
}
