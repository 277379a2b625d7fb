using System.Net;
using System.Text.Json;

namespace Orchestra.FakeProvider.Tests;

/// <summary>What goes over the wire, read with plain HTTP: event sequences, error shapes, headers and faults.</summary>
public sealed class WireTests
{
    private const string ChatBody = """{"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";
    private const string AnthropicBody = """{"model":"claude-test","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string ResponsesBody = """{"model":"gpt-test","stream":true,"instructions":"be useful","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"list files"}]}],"tools":[{"type":"function","name":"shell","parameters":{"type":"object"}}]}""";

    [Fact]
    public async Task Responses_Stream_AnnouncesFillsAndClosesEveryItemThenCompletesWithUsage()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply { Text = "On it.", ToolCalls = [new FakeToolCall("shell", """{"command":["ls","-la"]}""")], Usage = new FakeUsage(30, 8, 10) });

        var (response, body) = await Http.PostAsync(server, "/v1/responses", ResponsesBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = Http.Events(body);
        var names = events.Select(e => e.Name).Distinct().ToList();
        Assert.Equal(
        [
            "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.completed",
        ], names);
        Assert.All(events, e => Assert.Equal(e.Name, e.Json.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Json.GetProperty("sequence_number").GetInt32()));
        var done = events.Where(e => e.Name == "response.output_item.done").Select(e => e.Json.GetProperty("item")).ToList();
        Assert.Equal("message", done[0].GetProperty("type").GetString());
        Assert.Equal("On it.", done[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("function_call", done[1].GetProperty("type").GetString());
        Assert.Equal("shell", done[1].GetProperty("name").GetString());
        Assert.StartsWith("call_", done[1].GetProperty("call_id").GetString(), StringComparison.Ordinal);
        Assert.Equal("""{"command":["ls","-la"]}""", done[1].GetProperty("arguments").GetString());
        var completed = events[^1].Json.GetProperty("response");
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(30, completed.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(10, completed.GetProperty("usage").GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(8, completed.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(38, completed.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(2, completed.GetProperty("output").GetArrayLength());
        var request = Assert.Single(server.Requests);
        Assert.Equal("list files", request.LastUserText);
        Assert.Equal("be useful", request.SystemPrompt);
        Assert.Equal(["shell"], request.ToolNames);
    }

    [Fact]
    public async Task Responses_LengthFinish_EndsAsIncomplete()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("cut short") with { FinishReason = "length" });

        var (_, body) = await Http.PostAsync(server, "/v1/responses", ResponsesBody);

        var last = Http.Events(body)[^1];
        Assert.Equal("response.incomplete", last.Name);
        Assert.Equal("max_output_tokens", last.Json.GetProperty("response").GetProperty("incomplete_details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ChatStream_EndsWithUsageChunkThenDone()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("a b") with { Usage = new FakeUsage(5, 2) });

        var (_, body) = await Http.PostAsync(server, "/v1/chat/completions", ChatBody);

        var events = Http.Events(body);
        Assert.All(events, e => Assert.Null(e.Name));
        Assert.Equal("[DONE]", events[^1].Data);
        var usageChunk = events[^2].Json;
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("stop", events[^3].Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(events.SkipLast(2), e => Assert.Equal("chat.completion.chunk", e.Json.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task ChatStream_WithoutIncludeUsage_SendsNoUsageChunk()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var (_, body) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        var events = Http.Events(body);
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.All(events.SkipLast(1), e => Assert.False(e.Json.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task AnthropicStream_EventNamesMatchTheirTypesAndIncludeAPing()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("hello there") with { Chunks = 1 });

        var (response, body) = await Http.PostAsync(server, "/v1/messages?beta=true", AnthropicBody, anthropic: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.Events(body);
        Assert.Equal(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], events.Select(e => e.Name));
        Assert.All(events, e => Assert.Equal(e.Name, e.Json.GetProperty("type").GetString()));
        Assert.Equal("?beta=true", Assert.Single(server.Requests).QueryString);
    }

    [Fact]
    public async Task CutStream_AbortsTheConnectionMidStreamAndTheServerKeepsServing()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("this stream never finishes properly") with { CutStreamAfterChunks = 3 });

        using var response = await Http.Client.SendAsync(Http.Post(server, "/v1/messages", AnthropicBody, anthropic: true), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        var received = new List<string>();
        var error = await Record.ExceptionAsync(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                    received.Add(line["event: ".Length..]);
            }
        });
        var (after, _) = await Http.PostAsync(server, "/v1/messages", AnthropicBody, anthropic: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(error is IOException or HttpRequestException, $"expected a broken connection, got {error?.GetType().Name ?? "no error"}");
        Assert.Equal(["message_start", "ping", "content_block_start"], received);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task CutStream_AtZero_DropsTheConnectionBeforeAnyResponse()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("never seen") with { CutStreamAfterChunks = 0 });

        var error = await Record.ExceptionAsync(() => Http.PostAsync(server, "/v1/responses", ResponsesBody));

        Assert.IsType<HttpRequestException>(error);
    }

    [Fact]
    public async Task CutStream_NonStreaming_StopsShortOfTheBody()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("body") with { CutStreamAfterChunks = 0 });

        using var response = await Http.Client.SendAsync(Http.Post(server, "/v1/chat/completions", """{"model":"m","messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        var error = await Record.ExceptionAsync(() => response.Content.ReadAsStringAsync());

        Assert.True(error is IOException or HttpRequestException, $"expected a broken connection, got {error?.GetType().Name ?? "no error"}");
    }

    [Fact]
    public async Task MalformedJson_NonStreaming_SendsABodyThatIsNotJson()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply { MalformedJson = true });

        var (response, body) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
    }

    [Fact]
    public async Task MalformedJson_Streaming_SendsAnEventWhoseDataIsNotJson()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply { MalformedJson = true });

        var (_, body) = await Http.PostAsync(server, "/v1/messages", AnthropicBody, anthropic: true);

        var events = Http.Events(body);
        Assert.Equal("message_start", events[0].Name);
        Assert.ThrowsAny<JsonException>(() => events[^1].Json);
    }

    [Fact]
    public async Task RateLimit_SendsRetryAfterHeadersAndTheOpenAiErrorShape()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromError(429, "slow down", TimeSpan.FromMilliseconds(1500)));

        var (response, body) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[]}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("1500", response.Headers.GetValues("retry-after-ms").Single());
        var error = Http.Json(body).GetProperty("error");
        Assert.Equal("slow down", error.GetProperty("message").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.True(error.TryGetProperty("type", out _));
    }

    [Fact]
    public async Task ServerError_UsesTheAnthropicErrorShapeOnAnthropicEndpoints()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromError(500, "boom"));

        var (response, body) = await Http.PostAsync(server, "/v1/messages", AnthropicBody, anthropic: true);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var json = Http.Json(body);
        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal("api_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("boom", json.GetProperty("error").GetProperty("message").GetString());
        Assert.True(response.Headers.Contains("request-id"));
    }

    [Fact]
    public async Task MissingApiKey_Gets401InEachProtocolsShape()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = "secret-key" });

        var (openAi, openAiBody) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[]}""");
        var (anthropic, anthropicBody) = await Http.PostAsync(server, "/v1/messages", AnthropicBody, anthropic: true);
        var withXApiKey = Http.Post(server, "/v1/messages", AnthropicBody, anthropic: true);
        withXApiKey.Headers.Add("x-api-key", "secret-key");
        var (accepted, _) = await Http.SendAsync(withXApiKey);

        Assert.Equal(HttpStatusCode.Unauthorized, openAi.StatusCode);
        Assert.Equal("invalid_api_key", Http.Json(openAiBody).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anthropic.StatusCode);
        Assert.Equal("authentication_error", Http.Json(anthropicBody).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.False(server.Requests[0].HasApiKey);
        Assert.Null(server.Requests[2].ApiKeyLast4);
        Assert.Equal("[redacted]", server.Requests[2].Headers["x-api-key"]);
    }

    [Fact]
    public async Task Models_ListsTheConfiguredModelsInTheShapeOfTheAskingProtocol()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { Models = ["alpha", "beta"] });

        var (_, openAi) = await Http.GetAsync(server, "/v1/models");
        var (_, anthropic) = await Http.GetAsync(server, "/v1/models", anthropic: true);
        var (one, oneBody) = await Http.GetAsync(server, "/v1/models/beta");
        var (missing, _) = await Http.GetAsync(server, "/v1/models/gamma", anthropic: true);

        var openAiJson = Http.Json(openAi);
        Assert.Equal("list", openAiJson.GetProperty("object").GetString());
        Assert.Equal(["alpha", "beta"], openAiJson.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var anthropicJson = Http.Json(anthropic);
        Assert.Equal(["alpha", "beta"], anthropicJson.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("model", anthropicJson.GetProperty("data")[0].GetProperty("type").GetString());
        Assert.False(anthropicJson.GetProperty("has_more").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("beta", Http.Json(oneBody).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal([ProviderProtocol.OpenAiModels, ProviderProtocol.AnthropicModels, ProviderProtocol.OpenAiModels, ProviderProtocol.AnthropicModels],
            server.Requests.Select(r => r.Protocol));
    }

    [Fact]
    public async Task UnknownPath_Gets404AndIsRecorded()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var (response, body) = await Http.PostAsync(server, "/chat/completions", "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("/v1/chat/completions", Http.Json(body).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(ProviderProtocol.Unknown, Assert.Single(server.Requests).Protocol);
    }

    [Fact]
    public async Task InvalidBodies_Get400WithoutUsingAQueuedReply()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("kept"));

        var (notJson, _) = await Http.PostAsync(server, "/v1/chat/completions", "{not json");
        var (noMaxTokens, body) = await Http.PostAsync(server, "/v1/messages", """{"model":"c","messages":[]}""", anthropic: true);
        var (wrongMethod, _) = await Http.GetAsync(server, "/v1/responses");

        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noMaxTokens.StatusCode);
        Assert.Contains("max_tokens", Http.Json(body).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Null(server.Requests[0].Json);
        Assert.Equal(1, server.PendingReplies);
    }

    [Fact]
    public async Task FirstByteDelay_WaitsOnTheConfiguredClock()
    {
        var time = new ManualTime();
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { TimeProvider = time });
        server.Enqueue(FakeReply.FromText("late") with { FirstByteDelay = TimeSpan.FromHours(1) });

        var pending = Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[]}""");
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(pending.IsCompleted);
        time.FireAll();
        var (response, body) = await pending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("late", Http.Json(body).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Dispose_EndsARequestThatIsStillWaiting()
    {
        var time = new ManualTime();
        var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { TimeProvider = time });
        server.Enqueue(FakeReply.FromText("never") with { FirstByteDelay = TimeSpan.FromHours(1) });

        var pending = Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[]}""");
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        await server.DisposeAsync();
        var outcome = await Record.ExceptionAsync(() => pending);

        Assert.NotNull(outcome);
    }
}
