using Orchestra.Core;

namespace Orchestra.FakeProvider.Tests;

/// <summary>Script files: what they can say, and the one-line errors for what they get wrong.</summary>
public sealed class FakeReplyScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fake-provider-script-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "script.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task Load_FullScript_DrivesAServer()
    {
        var script = FakeReplyScript.Load(Write("""
            {
              // comments and trailing commas are allowed
              "models": ["m1", "m2"],
              "default": { "text": "nothing matched" },
              "replies": [
                { "match": { "lastUserContains": "weather", "protocol": "anthropic" },
                  "toolCalls": [ { "name": "get_weather", "arguments": { "city": "Paris" }, "id": "toolu_1" } ] },
                { "text": "one two", "chunks": 2, "usage": { "inputTokens": 9, "outputTokens": 2, "cachedTokens": 4 }, "finishReason": "length" },
                { "status": 429, "errorMessage": "busy", "retryAfter": "3s", "repeat": 2 },
                { "malformedJson": true, "cutStreamAfterChunks": 2, "firstByteDelay": 0, "sticky": true },
              ],
            }
            """));

        Assert.Equal(["m1", "m2"], script.Models);
        Assert.Equal(4, script.Replies.Count);
        Assert.Equal(TimeSpan.FromSeconds(3), script.Replies[2].RetryAfter);
        Assert.True(script.Replies[3].Sticky);
        await using var server = await FakeProviderServer.StartAsync(script.ApplyTo(new FakeProviderOptions()));
        var (_, toolBody) = await Http.PostAsync(server, "/v1/messages", """{"model":"c","max_tokens":9,"messages":[{"role":"user","content":"weather?"}]}""", anthropic: true);
        var (_, textBody) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}""");
        var (busy, _) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[]}""");
        var (_, models) = await Http.GetAsync(server, "/v1/models");

        var toolUse = Http.Json(toolBody).GetProperty("content")[0];
        Assert.Equal("toolu_1", toolUse.GetProperty("id").GetString());
        Assert.Equal("Paris", toolUse.GetProperty("input").GetProperty("city").GetString());
        var choice = Http.Json(textBody).GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(4, Http.Json(textBody).GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(429, (int)busy.StatusCode);
        Assert.Equal("3", busy.Headers.GetValues("retry-after").Single());
        Assert.Equal(2, Http.Json(models).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Load_DefaultReply_AnswersWhenNothingMatches()
    {
        var script = FakeReplyScript.Load(Write("""{ "default": { "text": "fallback" } }"""));
        await using var server = await FakeProviderServer.StartAsync(script.ApplyTo(new FakeProviderOptions()));

        var (_, body) = await Http.PostAsync(server, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal("fallback", Http.Json(body).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public void Load_TopLevelArray_IsAListOfReplies()
    {
        var script = FakeReplyScript.Load(Write("""[ { "text": "a" }, { "text": "b" } ]"""));

        Assert.Equal(["a", "b"], script.Replies.Select(r => r.Text));
        Assert.Null(script.Default);
        Assert.Null(script.Models);
    }

    [Fact]
    public void Load_MissingFile_SaysSo()
    {
        var error = Assert.Throws<OrchestraException>(() => FakeReplyScript.Load(Path.Combine(_dir, "nope.json")));

        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Contains("nope.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"replies\": [ { \"txt\": \"hi\" } ] }", "replies[0]: unknown field 'txt'")]
    [InlineData("{ \"replies\": [ { \"status\": 200 } ] }", "replies[0].status: expected a whole number from 400 to 599, got 200")]
    [InlineData("{ \"replies\": [ { \"toolCalls\": [ { \"arguments\": {} } ] } ] }", "replies[0].toolCalls[0].name: required")]
    [InlineData("{ \"replies\": [ { \"toolCalls\": [ { \"name\": \"t\", \"arguments\": \"[1]\" } ] } ] }", "replies[0]: FakeReply.ToolCalls[0].Arguments must be a JSON object")]
    [InlineData("{ \"replies\": [ { \"retryAfter\": \"soon\" } ] }", "replies[0].retryAfter: expected a duration")]
    [InlineData("{ \"replies\": [ { \"match\": { \"protocol\": \"gemini\" } } ] }", "replies[0].match.protocol: unknown protocol 'gemini'")]
    [InlineData("{ \"replies\": { } }", "replies: expected an array of replies, got an object")]
    [InlineData("{ \"default\": { \"match\": { \"model\": \"m\" } } }", "default.match")]
    [InlineData("{ \"models\": [] }", "models: expected a non-empty array")]
    [InlineData("{ \"replies\": [ { \"usage\": { \"inputTokens\": 1, \"cachedTokens\": 5 } } ] }", "CachedTokens no larger than InputTokens")]
    [InlineData("{ \"replies\": [ ", "is not valid JSON")]
    [InlineData("\"text\"", "the top level: expected an object")]
    public void Load_BadScript_FailsWithOneLineNamingTheField(string json, string expected)
    {
        var error = Assert.Throws<OrchestraException>(() => FakeReplyScript.Load(Write(json)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Fake provider script '", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(ErrorKind.Usage, error.Kind);
    }
}
