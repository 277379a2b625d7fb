using Orchestra.Agents.Codex;
using Orchestra.Core.Agents;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>Error texts as Codex 0.169 prints them, classified.</summary>
public sealed class CodexFailuresTests
{
    [Theory]
    [InlineData("unexpected status 503 Service Unavailable: overloaded now, url: http://127.0.0.1:33120/v1/responses, request id: req_fake000001")]
    [InlineData("unexpected status 500 Internal Server Error: boom, url: http://127.0.0.1:1/v1/responses")]
    [InlineData("exceeded retry limit, last status: 429 Too Many Requests, request id: req_fake000002")]
    [InlineData("stream disconnected before completion: Transport error: network error: error decoding response body")]
    [InlineData("error sending request for url (http://127.0.0.1:9/v1/responses)")]
    [InlineData("Reconnecting... 2/5 (stream disconnected before completion: idle timeout waiting for SSE)")]
    public void TransientTexts_AreTransient(string message)
    {
        Assert.True(CodexFailures.IsTransient(message));
        Assert.Equal(AgentOutcome.TransientFailure, CodexFailures.Classify("coder", message).Outcome);
    }

    [Theory]
    [InlineData("unexpected status 401 Unauthorized: Incorrect API key provided., url: http://127.0.0.1:33120/v1/responses, request id: req_fake000005")]
    [InlineData("""{"error":{"message":"bad model thing","type":"invalid_request_error","param":null,"code":null}}""")]
    [InlineData("exceeded retry limit, last status: 429 Too Many Requests: insufficient_quota")]
    [InlineData("You've hit your usage limit. Try again later.")]
    [InlineData("Missing environment variable: `FAKE_KEY`.")]
    public void PermanentTexts_ArePermanent(string message)
    {
        Assert.False(CodexFailures.IsTransient(message));
        Assert.Equal(AgentOutcome.PermanentFailure, CodexFailures.Classify("coder", message).Outcome);
    }

    [Fact]
    public void JsonErrorBodies_AreReducedToTheirMessage()
    {
        var result = CodexFailures.Classify("coder", """{"error":{"message":"bad model thing","type":"invalid_request_error","param":null,"code":null}}""");

        Assert.Equal("agent 'coder': codex: bad model thing (invalid_request_error)", result.Error);
    }

    [Fact]
    public void AMissingKeyVariable_NamesTheVariableAndTheFix()
    {
        var result = CodexFailures.Classify("coder", "Missing environment variable: `FAKE_KEY`.");

        Assert.Equal("agent 'coder': codex needs the environment variable FAKE_KEY: set it (or `api_key_env:` in .orchestra/agents/coder.yaml)", result.Error);
    }

    [Fact]
    public void RunningOutsideAGitRepository_NamesTheFix()
    {
        var result = CodexFailures.Classify("coder", "Not inside a trusted directory and --skip-git-repo-check was not specified.");

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("skip_git_repo_check: true", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_AreOneLine_AndRedacted()
    {
        var key = "sk-" + new string('b', 30);

        var text = CodexFailures.Describe($"first line\nsecond {key}\r\n");

        Assert.Equal("first line second [redacted]", text);
    }
}
