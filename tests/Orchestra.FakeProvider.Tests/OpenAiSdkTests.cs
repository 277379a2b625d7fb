using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;

namespace Orchestra.FakeProvider.Tests;

/// <summary>The official OpenAI .NET SDK reads what the fake server sends.</summary>
public sealed class OpenAiSdkTests
{
    private static OpenAIClientOptions Options(FakeProviderServer server) =>
        new() { Endpoint = server.OpenAiBaseUrl, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };

    private static ChatClient Chat(FakeProviderServer server, string key = "sk-test") =>
        new("gpt-test", new ApiKeyCredential(key), Options(server));

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    [Fact]
    public async Task CompleteChat_ReturnsScriptedTextAndUsage()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("Hello from the fake.") with { Usage = new FakeUsage(40, 5, 30) });

        ChatCompletion completion = await Chat(server).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi there")]);

        Assert.Equal("Hello from the fake.", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("gpt-test", completion.Model);
        Assert.Equal(40, completion.Usage.InputTokenCount);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.Equal(45, completion.Usage.TotalTokenCount);
        Assert.Equal(30, completion.Usage.InputTokenDetails.CachedTokenCount);
        var request = Assert.Single(server.Requests);
        Assert.Equal(ProviderProtocol.OpenAiChatCompletions, request.Protocol);
        Assert.Equal("Hi there", request.LastUserText);
        Assert.Equal("Be brief.", request.SystemPrompt);
        Assert.Equal("gpt-test", request.Model);
        Assert.False(request.IsStreaming);
    }

    [Fact]
    public async Task CompleteChat_WithNothingQueued_EchoesTheLastUserMessage()
    {
        await using var server = await FakeProviderServer.StartAsync();

        ChatCompletion completion = await Chat(server).CompleteChatAsync([new UserChatMessage("What is 2+2?")]);

        Assert.Equal("fake reply to: What is 2+2?", completion.Content[0].Text);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task CompleteChatStreaming_DeliversTextInChunksAndFinalUsage()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("one two three four") with { Usage = new FakeUsage(12, 4, 2) });

        var text = new StringBuilder();
        var deltas = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat(server).CompleteChatStreamingAsync([new UserChatMessage("count")]))
        {
            foreach (var part in update.ContentUpdate.Where(p => p.Text.Length > 0))
            {
                text.Append(part.Text);
                deltas++;
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("one two three four", text.ToString());
        Assert.Equal(4, deltas);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(12, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);
        Assert.Equal(2, usage.InputTokenDetails.CachedTokenCount);
        Assert.True(Assert.Single(server.Requests).IsStreaming);
    }

    [Fact]
    public async Task CompleteChat_ToolCall_ComesBackAsAFunctionCall()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromToolCall("get_weather", """{"city":"Paris"}""", "call_abc"));

        ChatCompletion completion = await Chat(server).CompleteChatAsync([new UserChatMessage("Weather in Paris?")], new ChatCompletionOptions { Tools = { Weather } });

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("call_abc", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        Assert.Equal(["get_weather"], Assert.Single(server.Requests).ToolNames);
    }

    [Fact]
    public async Task CompleteChatStreaming_ToolCalls_ArriveAsIncrementalArguments()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply
        {
            Text = "Checking.",
            ToolCalls = [new FakeToolCall("get_weather", """{"city":"Paris","unit":"celsius"}"""), new FakeToolCall("get_weather", """{"city":"Oslo"}""")],
        });

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        var argumentDeltas = 0;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(server).CompleteChatStreamingAsync([new UserChatMessage("Weather?")], new ChatCompletionOptions { Tools = { Weather } }))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is not null)
                    ids[call.Index] = call.ToolCallId;
                if (call.FunctionName is not null)
                    names[call.Index] = call.FunctionName;
                var piece = call.FunctionArgumentsUpdate?.ToString() ?? "";
                if (piece.Length > 0)
                    argumentDeltas++;
                (arguments.TryGetValue(call.Index, out var sb) ? sb : arguments[call.Index] = new StringBuilder()).Append(piece);
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal("Checking.", text.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(2, ids.Count);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal("get_weather", names[1]);
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", arguments[0].ToString());
        Assert.Equal("""{"city":"Oslo"}""", arguments[1].ToString());
        Assert.True(argumentDeltas > 2, "arguments should arrive in several deltas");
    }

    [Fact]
    public async Task CompleteChat_FinishReasonLength_IsReported()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("truncated") with { FinishReason = "length" });

        ChatCompletion completion = await Chat(server).CompleteChatAsync([new UserChatMessage("long story")]);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task CompleteChat_RateLimited_ThrowsWith429()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromError(429, "slow down", TimeSpan.FromSeconds(2)));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat(server).CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        Assert.Contains("slow down", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
        Assert.Equal(0, server.PendingReplies);
    }

    [Fact]
    public async Task CompleteChat_WrongApiKey_ThrowsWith401AndTheKeyIsNotRecorded()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = "sk-right-key-0000" });
        server.Enqueue(FakeReply.FromText("never sent"));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat(server, "sk-wrong-key-1234").CompleteChatAsync([new UserChatMessage("hi")]));
        ChatCompletion ok = await Chat(server, "sk-right-key-0000").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(401, error.Status);
        Assert.Equal("never sent", ok.Content[0].Text);
        var refused = server.Requests[0];
        Assert.True(refused.HasApiKey);
        Assert.Equal("1234", refused.ApiKeyLast4);
        Assert.Equal("[redacted]", refused.Headers["Authorization"]);
        Assert.DoesNotContain(server.Requests.SelectMany(r => r.Headers.Values), v => v.Contains("wrong-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Responses_Streaming_IsReadByTheSdk()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply { Text = "Done it.", ToolCalls = [new FakeToolCall("shell", """{"command":["ls"]}""")], Usage = new FakeUsage(100, 20, 60) });
        var client = new ResponsesClient(new ApiKeyCredential("sk-test"), new ResponsesClientOptions { Endpoint = server.OpenAiBaseUrl, RetryPolicy = new ClientRetryPolicy(0) });

        var text = new StringBuilder();
        var items = new List<ResponseItem>();
        ResponseResult? completed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("list files")]) { StreamingEnabled = true, Instructions = "be useful" }))
        {
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseOutputItemDoneUpdate done:
                    items.Add(done.Item);
                    break;
                case StreamingResponseCompletedUpdate end:
                    completed = end.Response;
                    break;
            }
        }

        Assert.Equal("Done it.", text.ToString());
        var call = Assert.Single(items.OfType<FunctionCallResponseItem>());
        Assert.Equal("shell", call.FunctionName);
        Assert.Equal("""{"command":["ls"]}""", call.FunctionArguments.ToString());
        Assert.NotNull(completed);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal(100, completed.Usage.InputTokenCount);
        Assert.Equal(20, completed.Usage.OutputTokenCount);
        Assert.Equal(60, completed.Usage.InputTokenDetails.CachedTokenCount);
        var request = Assert.Single(server.Requests);
        Assert.Equal("list files", request.LastUserText);
        Assert.Equal("be useful", request.SystemPrompt);
        Assert.Equal(ProviderProtocol.OpenAiResponses, request.Protocol);
    }

    [Fact]
    public async Task Responses_NonStreaming_IsReadByTheSdk()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("plain answer"));
        var client = new ResponsesClient(new ApiKeyCredential("sk-test"), new ResponsesClientOptions { Endpoint = server.OpenAiBaseUrl, RetryPolicy = new ClientRetryPolicy(0) });

        ResponseResult response = await client.CreateResponseAsync("gpt-test", "question?");

        Assert.Equal("plain answer", response.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.True(response.Usage.TotalTokenCount > 0);
    }
}
