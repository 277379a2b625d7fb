using System.Text.Json;

namespace Orchestra.FakeProvider.Tests;

/// <summary>Which queued reply answers which request, and what the server reads out of requests.</summary>
public sealed class ScriptingTests
{
    private static string Chat(string user, string? system = null) =>
        JsonSerializer.Serialize(new
        {
            model = "m",
            messages = system is null
                ? new object[] { new { role = "user", content = user } }
                : [new { role = "system", content = system }, new { role = "user", content = user }],
        });

    private static async Task<string> AskAsync(FakeProviderServer server, string user, string? system = null)
    {
        var (_, body) = await Http.PostAsync(server, "/v1/chat/completions", Chat(user, system));
        return Http.Json(body).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task Queue_FirstMatchingReplyWins_OthersWaitTheirTurn()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("weather", StringComparison.Ordinal)) with { Text = "sunny" });
        server.Enqueue(FakeReply.FromText("first"));
        server.Enqueue(FakeReply.FromText("second"));

        Assert.Equal("first", await AskAsync(server, "hello"));
        Assert.Equal("sunny", await AskAsync(server, "what is the weather?"));
        Assert.Equal("second", await AskAsync(server, "what is the weather?"));
        Assert.Equal("fake reply to: anything left?", await AskAsync(server, "anything left?"));
    }

    [Fact]
    public async Task Repeat_AnswersThatManyRequests_StickyNeverRunsOut()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("twice") with { Repeat = 2 });
        server.Enqueue(FakeReply.FromText("forever") with { Sticky = true });

        var answers = new List<string>();
        for (var i = 0; i < 5; i++)
            answers.Add(await AskAsync(server, "q"));

        Assert.Equal(["twice", "twice", "forever", "forever", "forever"], answers);
        Assert.Equal(1, server.PendingReplies);
        server.ClearReplies();
        Assert.Equal(0, server.PendingReplies);
    }

    [Fact]
    public async Task DefaultReply_FromOptions_AnswersWhatTheQueueDoesNot()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions
        {
            DefaultReply = r => FakeReply.FromText($"default for {r.Model}"),
            Replies = [FakeReply.FromText("queued at start")],
        });

        Assert.Equal("queued at start", await AskAsync(server, "a"));
        Assert.Equal("default for m", await AskAsync(server, "b"));
    }

    [Fact]
    public async Task Echo_TruncatesTheUserTextTo200Characters()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var answer = await AskAsync(server, new string('x', 500));

        Assert.Equal("fake reply to: " + new string('x', 200), answer);
    }

    [Fact]
    public async Task MatchRecord_SelectsByProtocolAndSystemPrompt()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.When(new FakeReplyMatch { Protocol = ProviderProtocol.AnthropicMessages }) with { Text = "for anthropic" });
        server.Enqueue(FakeReply.When(new FakeReplyMatch { SystemContains = "pirate" }) with { Text = "arr" });

        Assert.Equal("arr", await AskAsync(server, "hi", system: "You are a pirate."));
        var (_, body) = await Http.PostAsync(server, "/v1/messages", """{"model":"c","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}""", anthropic: true);
        Assert.Equal("for anthropic", Http.Json(body).GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task AMatchThatThrows_IsReportedAsA500NamingTheProblem()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.When(_ => throw new InvalidOperationException("bad predicate")));

        var (response, body) = await Http.PostAsync(server, "/v1/chat/completions", Chat("x"));

        Assert.Equal(500, (int)response.StatusCode);
        Assert.Contains("bad predicate", Http.Json(body).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(99, null, 1, "Status")]
    [InlineData(null, 0, 1, "Chunks")]
    [InlineData(null, null, 0, "Repeat")]
    public async Task Enqueue_RejectsRepliesThatCannotBeSent(int? status, int? chunks, int repeat, string field)
    {
        await using var server = await FakeProviderServer.StartAsync();

        var error = Assert.Throws<ArgumentException>(() => server.Enqueue(new FakeReply { Status = status, Chunks = chunks, Repeat = repeat }));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_RejectsToolArgumentsThatAreNotAJsonObject()
    {
        await using var server = await FakeProviderServer.StartAsync();

        var error = Assert.Throws<ArgumentException>(() => server.Enqueue(FakeReply.FromToolCall("t", "[1,2]")));

        Assert.Contains("ToolCalls[0].Arguments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunks_SplitsStreamedTextIntoThatManyDeltas()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText("abcdefghij") with { Chunks = 3 });

        var (_, body) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        var pieces = Http.Events(body).SkipLast(1)
            .Select(e => e.Json.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String && c.GetString()!.Length > 0)
            .Select(d => d.GetProperty("content").GetString())
            .ToList();
        Assert.Equal(["abc", "def", "ghij"], pieces);
    }

    [Fact]
    public async Task RequestFacts_AreReadForEachProtocol_IncludingToolResults()
    {
        await using var server = await FakeProviderServer.StartAsync();

        await Http.PostAsync(server, "/v1/chat/completions", """
            {"model":"gpt","messages":[
              {"role":"developer","content":"dev rules"},
              {"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":"part two"}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"tool said 42"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}
            """);
        await Http.PostAsync(server, "/v1/messages", """
            {"model":"claude","max_tokens":10,"system":[{"type":"text","text":"sys block"}],"messages":[
              {"role":"user","content":"find it"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"grep","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"found at line 3"}]}]}],
             "tools":[{"name":"grep","input_schema":{"type":"object"}}]}
            """, anthropic: true);
        await Http.PostAsync(server, "/v1/responses", """
            {"model":"codex","instructions":"base","input":[
              {"type":"message","role":"developer","content":[{"type":"input_text","text":"sandbox rules"}]},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"run ls"}]},
              {"type":"function_call","call_id":"c9","name":"shell","arguments":"{}"},
              {"type":"function_call_output","call_id":"c9","output":"a.txt"}],
             "tools":[{"type":"function","name":"shell"},{"type":"web_search"}]}
            """);

        var chat = server.Requests[0];
        Assert.Equal("part one\npart two", chat.LastUserText);
        Assert.Equal("dev rules", chat.SystemPrompt);
        Assert.Equal("tool said 42", chat.LastToolResultText);
        Assert.Equal(["f"], chat.ToolNames);
        Assert.Equal(4, chat.MessageCount);
        var anthropic = server.Requests[1];
        Assert.Equal("find it", anthropic.LastUserText);
        Assert.Equal("sys block", anthropic.SystemPrompt);
        Assert.Equal("found at line 3", anthropic.LastToolResultText);
        Assert.Equal(["grep"], anthropic.ToolNames);
        var responses = server.Requests[2];
        Assert.Equal("run ls", responses.LastUserText);
        Assert.Equal("base\n\nsandbox rules", responses.SystemPrompt);
        Assert.Equal("a.txt", responses.LastToolResultText);
        Assert.Equal(["shell", "web_search"], responses.ToolNames);
    }

    [Fact]
    public async Task MatchAfterToolResult_AnswersTheFollowUpTurn()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "summarised" });
        server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = false, ToolOffered = "f" }) with { ToolCalls = [new FakeToolCall("f")] });

        var (_, first) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"go"}],"tools":[{"type":"function","function":{"name":"f"}}]}""");
        var (_, second) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"go"},{"role":"tool","tool_call_id":"x","content":"ok"}],"tools":[{"type":"function","function":{"name":"f"}}]}""");

        Assert.Equal("tool_calls", Http.Json(first).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("summarised", Http.Json(second).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task ConcurrentRequests_EachTakeADifferentQueuedReply()
    {
        await using var server = await FakeProviderServer.StartAsync();
        for (var i = 0; i < 40; i++)
            server.Enqueue(FakeReply.FromText($"reply {i}"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => AskAsync(server, $"question {i}")));

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"reply {i}").Order(), answers.Order());
        Assert.Equal(40, server.Requests.Count);
        Assert.Equal(0, server.PendingReplies);
    }
}
