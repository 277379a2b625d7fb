using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace Orchestra.FakeProvider.Tests;

/// <summary>The official Anthropic C# SDK reads what the fake server sends, with response validation on.</summary>
public sealed class AnthropicSdkTests
{
    private static AnthropicClient Client(FakeProviderServer server, string key = "sk-ant-test") => new()
    {
        BaseUrl = server.AnthropicBaseUrl.ToString(),
        ApiKey = key,
        MaxRetries = 0,
        ResponseValidation = true,
    };

    private static MessageCreateParams Ask(string text, bool withTool = false) => new()
    {
        Model = "claude-test",
        MaxTokens = 256,
        System = "You are terse.",
        Messages = [new UserMessageParam { Content = text }],
        Tools = withTool
            ? [new Tool
            {
                Name = "get_weather",
                Description = "Weather for a city",
                InputSchema = new InputSchema { Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) } },
            }]
            : null,
    };

    [Fact]
    public async Task Create_ReturnsScriptedTextAndUsage()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("Hi, human.") with { Usage = new FakeUsage(50, 7, 20) });

        var message = await Client(server).Messages.Create(Ask("Hello"));

        message.Validate();
        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("Hi, human.", text.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal("claude-test", message.Model.Raw());
        Assert.Equal(30, message.Usage.InputTokens);
        Assert.Equal(20, message.Usage.CacheReadInputTokens);
        Assert.Equal(7, message.Usage.OutputTokens);
        var request = Assert.Single(server.Requests);
        Assert.Equal(ProviderProtocol.AnthropicMessages, request.Protocol);
        Assert.Equal("Hello", request.LastUserText);
        Assert.Equal("You are terse.", request.SystemPrompt);
        Assert.True(request.Headers.ContainsKey("anthropic-version"));
        // This SDK version sends the key as a bearer token; the server takes either that or x-api-key.
        Assert.True(request.HasApiKey);
        Assert.Equal("[redacted]", request.Headers["Authorization"]);
    }

    [Fact]
    public async Task CreateStreaming_SendsTheRealEventSequence()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("alpha beta gamma") with { Usage = new FakeUsage(10, 3) });

        var text = new StringBuilder();
        var kinds = new List<string>();
        RawMessageDeltaEvent? end = null;
        await foreach (var e in Client(server).Messages.CreateStreaming(Ask("stream please")))
        {
            e.Validate();
            if (e.TryPickStart(out var start))
                kinds.Add($"start:{start.Message.ID}");
            else if (e.TryPickContentBlockStart(out var blockStart))
                kinds.Add($"block_start:{blockStart.Index}");
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                kinds.Add("text");
                text.Append(piece.Text);
            }
            else if (e.TryPickContentBlockStop(out var blockStop))
                kinds.Add($"block_stop:{blockStop.Index}");
            else if (e.TryPickDelta(out var messageDelta))
            {
                kinds.Add("delta");
                end = messageDelta;
            }
            else if (e.TryPickStop(out _))
                kinds.Add("stop");
        }

        Assert.Equal("alpha beta gamma", text.ToString());
        Assert.StartsWith("start:msg_", kinds[0], StringComparison.Ordinal);
        Assert.Equal(["block_start:0", "text", "text", "text", "block_stop:0", "delta", "stop"], kinds.Skip(1));
        Assert.NotNull(end);
        Assert.Equal(StopReason.EndTurn, end.Delta.StopReason!.Value());
        Assert.Equal(3, end.Usage.OutputTokens);
    }

    [Fact]
    public async Task Create_ToolUse_ReturnsAToolUseBlock()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(new FakeReply { Text = "Let me check.", ToolCalls = [new FakeToolCall("get_weather", """{"city":"Lima"}""")] });

        var message = await Client(server).Messages.Create(Ask("Weather in Lima?", withTool: true));

        message.Validate();
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(2, message.Content.Count);
        Assert.True(message.Content[1].TryPickToolUse(out var use));
        Assert.Equal("get_weather", use.Name);
        Assert.StartsWith("toolu_", use.ID, StringComparison.Ordinal);
        Assert.Equal("Lima", use.Input["city"].GetString());
        Assert.Equal(["get_weather"], Assert.Single(server.Requests).ToolNames);
    }

    [Fact]
    public async Task CreateStreaming_ToolUse_ArrivesAsInputJsonDeltas()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromToolCall("get_weather", """{"city":"Lima","unit":"celsius"}""", "toolu_fixed"));

        var json = new StringBuilder();
        var pieces = 0;
        string? toolId = null;
        StopReason? stop = null;
        await foreach (var e in Client(server).Messages.CreateStreaming(Ask("Weather?", withTool: true)))
        {
            e.Validate();
            if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use))
                toolId = use.ID;
            else if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var partial))
            {
                pieces++;
                json.Append(partial.PartialJson);
            }
            else if (e.TryPickDelta(out var end))
                stop = end.Delta.StopReason!.Value();
        }

        Assert.Equal("toolu_fixed", toolId);
        Assert.Equal("""{"city":"Lima","unit":"celsius"}""", json.ToString());
        Assert.True(pieces > 1, "the input should arrive in several deltas");
        Assert.Equal(StopReason.ToolUse, stop);
    }

    [Fact]
    public async Task Create_Overloaded_ThrowsTheOverloadedExceptionWithItsStatus()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromError(529));

        var error = await Assert.ThrowsAsync<AnthropicOverloadedException>(() => Client(server).Messages.Create(Ask("hi")));

        Assert.Equal(529, (int)error.StatusCode);
        Assert.Contains("overloaded_error", error.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_RateLimited_ThrowsTheRateLimitException()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromError(429, "too many", TimeSpan.FromSeconds(1)));

        var error = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => Client(server).Messages.Create(Ask("hi")));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Contains("too many", error.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WrongKey_ThrowsUnauthorized()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = "right" });

        var error = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Client(server, "wrong").Messages.Create(Ask("hi")));
        var message = await Client(server, "right").Messages.Create(Ask("hi"));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("authentication_error", error.ResponseBody, StringComparison.Ordinal);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("fake reply to: hi", text.Text);
    }

    [Fact]
    public async Task CountTokens_AnswersWithoutUsingAQueuedReply()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("kept"));

        var count = await Client(server).Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "claude-test",
            Messages = [new UserMessageParam { Content = "how many tokens is this?" }],
        });

        Assert.True(count.InputTokens > 0);
        Assert.Equal(1, server.PendingReplies);
        Assert.Equal(ProviderProtocol.AnthropicCountTokens, Assert.Single(server.Requests).Protocol);
    }
}
