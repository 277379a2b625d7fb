using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.FakeProvider;

/// <summary>
/// OpenAI Chat Completions (<c>POST /v1/chat/completions</c>), the OpenAI model list and the OpenAI error shape,
/// which the Responses API shares.
/// </summary>
internal static class OpenAiProtocol
{
    public static RequestFacts Read(JsonElement body)
    {
        var messages = JsonRead.Array(body, "messages");
        var system = new List<string>();
        var lastUser = "";
        foreach (var message in messages)
        {
            var role = JsonRead.String(message, "role");
            var text = JsonRead.Text(JsonRead.Property(message, "content"));
            if (role is "system" or "developer")
                system.Add(text);
            else if (role == "user" && text.Length > 0)
                lastUser = text;
        }
        var results = messages.Reverse().TakeWhile(m => JsonRead.String(m, "role") == "tool")
            .Reverse().Select(m => JsonRead.Text(JsonRead.Property(m, "content"))).ToList();
        var tools = JsonRead.Array(body, "tools")
            .Select(t => JsonRead.String(JsonRead.Property(t, "function"), "name") ?? JsonRead.String(t, "name") ?? JsonRead.String(t, "type") ?? "")
            .ToList();
        return new RequestFacts(JsonRead.String(body, "model"), JsonRead.Bool(body, "stream"), lastUser,
            JsonRead.JoinOrNull(system), tools, results.Count > 0 ? string.Join('\n', results) : null, messages.Count);
    }

    /// <summary>What makes the request one the real API would refuse, or null.</summary>
    public static string? Problem(JsonElement body) =>
        JsonRead.String(body, "model") is null ? "you must provide a model parameter"
        : !JsonRead.Has(body, "messages", JsonValueKind.Array) ? "Missing required parameter: 'messages'."
        : null;

    public static async Task WriteReplyAsync(Exchange exchange, ReplyPlan plan)
    {
        var id = exchange.Ids.Next("chatcmpl-fake");
        var calls = plan.ToolCalls.Select(c => c with { Id = c.Id ?? exchange.Ids.Next("call_fake") }).ToList();
        if (!exchange.Request.IsStreaming)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = plan.Text, ["refusal"] = null };
            if (calls.Count > 0)
                message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                }).ToArray());
            var choice = new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = plan.Finish.ForOpenAi };
            var completion = Envelope(exchange, id, "chat.completion", plan.Model, new JsonArray(choice));
            completion["usage"] = Usage(plan.Usage);
            await exchange.WriteReplyJsonAsync(completion, plan).ConfigureAwait(false);
            return;
        }

        var includeUsage = JsonRead.Bool(JsonRead.Property(exchange.Request.Json ?? default, "stream_options"), "include_usage");
        var sse = await exchange.StartSseAsync(plan).ConfigureAwait(false);
        Task Chunk(JsonObject delta, string? finish = null)
        {
            var chunk = Envelope(exchange, id, "chat.completion.chunk", plan.Model,
                new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish }));
            if (includeUsage)
                chunk["usage"] = null;
            return sse.WriteAsync(null, chunk);
        }

        await Chunk(new JsonObject { ["role"] = "assistant", ["content"] = plan.Text is null ? null : "", ["refusal"] = null }).ConfigureAwait(false);
        if (plan.Reply.MalformedJson)
        {
            await sse.WriteMalformedAsync(null).ConfigureAwait(false);
            return;
        }
        foreach (var piece in plan.TextChunks)
            await Chunk(new JsonObject { ["content"] = piece }).ConfigureAwait(false);
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            await Chunk(ToolDelta(new JsonObject
            {
                ["index"] = i,
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
            })).ConfigureAwait(false);
            foreach (var piece in call.ArgumentChunks)
                await Chunk(ToolDelta(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = piece } })).ConfigureAwait(false);
        }
        await Chunk([], plan.Finish.ForOpenAi).ConfigureAwait(false);
        if (includeUsage)
        {
            var last = Envelope(exchange, id, "chat.completion.chunk", plan.Model, []);
            last["usage"] = Usage(plan.Usage);
            await sse.WriteAsync(null, last).ConfigureAwait(false);
        }
        await sse.WriteDataAsync(null, "[DONE]").ConfigureAwait(false);
    }

    private static JsonObject ToolDelta(JsonObject call) => new() { ["tool_calls"] = new JsonArray(call) };

    private static JsonObject Envelope(Exchange exchange, string id, string kind, string model, JsonArray choices) => new()
    {
        ["id"] = id,
        ["object"] = kind,
        ["created"] = exchange.UnixNow,
        ["model"] = model,
        ["system_fingerprint"] = "fp_fake",
        ["choices"] = choices,
    };

    private static JsonObject Usage(FakeUsage usage) => new()
    {
        ["prompt_tokens"] = usage.InputTokens,
        ["completion_tokens"] = usage.OutputTokens,
        ["total_tokens"] = usage.InputTokens + usage.OutputTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = 0,
            ["audio_tokens"] = 0,
            ["accepted_prediction_tokens"] = 0,
            ["rejected_prediction_tokens"] = 0,
        },
    };

    /// <summary><c>GET /v1/models</c>, or <c>GET /v1/models/{id}</c> when <paramref name="id"/> is set.</summary>
    public static Task WriteModelsAsync(Exchange exchange, IReadOnlyList<string> models, string? id)
    {
        JsonObject Model(string name) => new() { ["id"] = name, ["object"] = "model", ["created"] = exchange.UnixNow, ["owned_by"] = "orchestra-fake" };
        if (id is null)
            return exchange.WriteJsonAsync(200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(models.Select(m => (JsonNode)Model(m)).ToArray()) });
        return models.Contains(id, StringComparer.Ordinal)
            ? exchange.WriteJsonAsync(200, Model(id))
            : WriteErrorAsync(exchange, 404, $"The model '{id}' does not exist or you do not have access to it.", null, "model_not_found");
    }

    /// <summary>An error in OpenAI's shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static Task WriteErrorAsync(Exchange exchange, int status, string? message, TimeSpan? retryAfter, string? code = null)
    {
        var (type, defaultCode, defaultMessage) = status switch
        {
            400 => ("invalid_request_error", null, "Invalid request."),
            401 => ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
            403 => ("invalid_request_error", "unsupported_country_region_territory", "Request not allowed."),
            404 => ("invalid_request_error", "not_found", "Not found."),
            429 => ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
            >= 500 => ("server_error", null, "The server had an error while processing your request."),
            _ => ("invalid_request_error", (string?)null, "The request failed."),
        };
        var error = new JsonObject
        {
            ["message"] = message ?? defaultMessage,
            ["type"] = type,
            ["param"] = null,
            ["code"] = code ?? defaultCode,
        };
        exchange.Http.Response.Headers["x-request-id"] = exchange.Ids.Next("req_fake");
        return exchange.WriteJsonAsync(status, new JsonObject { ["error"] = error }, retryAfter);
    }
}
