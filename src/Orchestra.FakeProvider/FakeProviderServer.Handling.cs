using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Orchestra.FakeProvider;

/// <summary>How one request is routed, recorded, checked and answered.</summary>
public sealed partial class FakeProviderServer
{
    private async Task HandleAsync(HttpContext http)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        var cancel = linked.Token;
        Exchange? exchange = null;
        try
        {
            var (protocol, modelId) = Route(http.Request);
            var body = await ReadBodyAsync(http.Request, cancel).ConfigureAwait(false);
            var json = Parse(body);
            var recorded = Record(http.Request, protocol, body, json);
            exchange = new Exchange(http, recorded, _ids, _options.TimeProvider, cancel);
            await AnswerAsync(exchange, protocol, modelId, json).ConfigureAwait(false);
        }
        catch (StreamCutException)
        {
            // The reply asked for the connection to be cut; it is.
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && cancel.IsCancellationRequested)
        {
            // The client went away or the server is stopping: drop the connection rather than send an empty answer.
            http.Abort();
        }
        catch (Exception ex) when (exchange is not null && !http.Response.HasStarted)
        {
            // A bug in a test's script (a Match that throws, a bad default reply): say so in the protocol's shape.
            await WriteErrorAsync(exchange, exchange.Request.Protocol, 500, $"fake provider: {ex.GetType().Name}: {ex.Message}", null).ConfigureAwait(false);
        }
    }

    private async Task AnswerAsync(Exchange exchange, ProviderProtocol protocol, string? modelId, JsonElement? json)
    {
        var request = exchange.Http.Request;
        if (protocol == ProviderProtocol.Unknown)
        {
            await WriteErrorAsync(exchange, protocol, 404,
                $"fake provider: no endpoint {request.Method} {request.Path}; it serves POST /v1/chat/completions, POST /v1/responses, POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models.", null).ConfigureAwait(false);
            return;
        }
        if (AuthenticationProblem(request, protocol) is { } problem)
        {
            await WriteErrorAsync(exchange, protocol, 401, problem, null).ConfigureAwait(false);
            return;
        }
        var wantsGet = protocol is ProviderProtocol.OpenAiModels or ProviderProtocol.AnthropicModels;
        if (!HttpMethods.Equals(request.Method, wantsGet ? HttpMethods.Get : HttpMethods.Post))
        {
            await WriteErrorAsync(exchange, protocol, 405, $"{request.Path} takes {(wantsGet ? "GET" : "POST")}, not {request.Method}.", null).ConfigureAwait(false);
            return;
        }
        switch (protocol)
        {
            case ProviderProtocol.OpenAiModels:
                await OpenAiProtocol.WriteModelsAsync(exchange, _options.Models, modelId).ConfigureAwait(false);
                return;
            case ProviderProtocol.AnthropicModels:
                await AnthropicProtocol.WriteModelsAsync(exchange, _options.Models, modelId).ConfigureAwait(false);
                return;
        }
        if (json is not { ValueKind: JsonValueKind.Object } body)
        {
            await WriteErrorAsync(exchange, protocol, 400, "The request body is not a JSON object.", null).ConfigureAwait(false);
            return;
        }
        var invalid = protocol switch
        {
            ProviderProtocol.OpenAiChatCompletions => OpenAiProtocol.Problem(body),
            ProviderProtocol.OpenAiResponses => ResponsesProtocol.Problem(body),
            _ => AnthropicProtocol.Problem(body, countingTokens: protocol == ProviderProtocol.AnthropicCountTokens),
        };
        if (invalid is not null)
        {
            await WriteErrorAsync(exchange, protocol, 400, invalid, null).ConfigureAwait(false);
            return;
        }
        if (protocol == ProviderProtocol.AnthropicCountTokens)
        {
            await AnthropicProtocol.WriteCountTokensAsync(exchange).ConfigureAwait(false);
            return;
        }
        await ReplyAsync(exchange, protocol).ConfigureAwait(false);
    }

    private async Task ReplyAsync(Exchange exchange, ProviderProtocol protocol)
    {
        var reply = _queue.Take(exchange.Request) ?? _options.DefaultReply?.Invoke(exchange.Request) ?? new FakeReply();
        reply.Validate();
        if (reply.FirstByteDelay > TimeSpan.Zero)
            await Task.Delay(reply.FirstByteDelay, _options.TimeProvider, exchange.Cancel).ConfigureAwait(false);
        if (reply.Status is { } status)
        {
            await WriteErrorAsync(exchange, protocol, status, reply.ErrorMessage, reply.RetryAfter).ConfigureAwait(false);
            return;
        }
        var plan = ReplyPlan.Create(reply, exchange.Request, _options.Models);
        await (protocol switch
        {
            ProviderProtocol.OpenAiChatCompletions => OpenAiProtocol.WriteReplyAsync(exchange, plan),
            ProviderProtocol.OpenAiResponses => ResponsesProtocol.WriteReplyAsync(exchange, plan),
            _ => AnthropicProtocol.WriteReplyAsync(exchange, plan),
        }).ConfigureAwait(false);
    }

    private static Task WriteErrorAsync(Exchange exchange, ProviderProtocol protocol, int status, string? message, TimeSpan? retryAfter) =>
        IsAnthropic(protocol) || (protocol == ProviderProtocol.Unknown && exchange.Http.Request.Headers.ContainsKey("anthropic-version"))
            ? AnthropicProtocol.WriteErrorAsync(exchange, status, message, retryAfter)
            : OpenAiProtocol.WriteErrorAsync(exchange, status, message, retryAfter);

    private static bool IsAnthropic(ProviderProtocol protocol) =>
        protocol is ProviderProtocol.AnthropicMessages or ProviderProtocol.AnthropicCountTokens or ProviderProtocol.AnthropicModels;

    /// <summary>Why the request's key is refused, or null when it is accepted. Never repeats the key.</summary>
    private string? AuthenticationProblem(HttpRequest request, ProviderProtocol protocol)
    {
        if (_options.RequiredApiKey is not { } required)
            return null;
        if (IsAnthropic(protocol))
        {
            var key = ApiKeys.XApiKey(request);
            var bearer = ApiKeys.Bearer(request);
            if (key is null && bearer is null)
                return "x-api-key header is required";
            return ApiKeys.Matches(key, required) || ApiKeys.Matches(bearer, required) ? null : "invalid x-api-key";
        }
        var token = ApiKeys.Bearer(request);
        if (token is null)
            return "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
        return ApiKeys.Matches(token, required) ? null : "Incorrect API key provided.";
    }

    private static (ProviderProtocol Protocol, string? ModelId) Route(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        var anthropic = request.Headers.ContainsKey("anthropic-version");
        var models = anthropic ? ProviderProtocol.AnthropicModels : ProviderProtocol.OpenAiModels;
        return path switch
        {
            "/v1/chat/completions" => (ProviderProtocol.OpenAiChatCompletions, null),
            "/v1/responses" => (ProviderProtocol.OpenAiResponses, null),
            "/v1/messages" => (ProviderProtocol.AnthropicMessages, null),
            "/v1/messages/count_tokens" => (ProviderProtocol.AnthropicCountTokens, null),
            "/v1/models" => (models, null),
            _ when path.StartsWith("/v1/models/", StringComparison.Ordinal) && path.Length > "/v1/models/".Length
                => (models, Uri.UnescapeDataString(path["/v1/models/".Length..])),
            _ => (ProviderProtocol.Unknown, null),
        };
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancel)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancel).ConfigureAwait(false);
    }

    private static JsonElement? Parse(string body)
    {
        if (body.Length == 0)
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private RecordedRequest Record(HttpRequest request, ProviderProtocol protocol, string body, JsonElement? json)
    {
        var facts = json is { ValueKind: JsonValueKind.Object } obj
            ? protocol switch
            {
                ProviderProtocol.OpenAiChatCompletions => OpenAiProtocol.Read(obj),
                ProviderProtocol.OpenAiResponses => ResponsesProtocol.Read(obj),
                ProviderProtocol.AnthropicMessages or ProviderProtocol.AnthropicCountTokens => AnthropicProtocol.Read(obj),
                _ => RequestFacts.None,
            }
            : RequestFacts.None;
        var recorded = new RecordedRequest(protocol, request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "",
            ApiKeys.RedactedHeaders(request.Headers), ApiKeys.View(ApiKeys.Presented(request)), body, json, facts, _options.TimeProvider.GetUtcNow());
        lock (_requestsLock)
            _requests.Add(recorded);
        return recorded;
    }
}
