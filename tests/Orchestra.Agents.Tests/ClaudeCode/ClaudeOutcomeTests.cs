using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ClaudeOutcomeTests
{
    private static JsonObject Parse(string line) => JsonNode.Parse(line)!.AsObject();

    private static JsonObject ApiError(int status, string text) => new()
    {
        ["type"] = "result",
        ["subtype"] = "success",
        ["is_error"] = true,
        ["api_error_status"] = status,
        ["result"] = text,
    };

    [Fact]
    public void A_successful_result_gives_its_text_and_the_usage()
    {
        var usage = new Usage { InputTokens = 10, OutputTokens = 2, CostUsd = 0.1m };

        var result = ClaudeOutcome.From("coder", Parse(Recorded.Success), usage);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("Done writing.", result.Output);
        Assert.Equal(usage, result.Usage);
    }

    [Fact]
    public void An_api_error_in_a_success_subtype_with_status_400_is_permanent()
    {
        var result = ClaudeOutcome.From("coder", Parse(Recorded.BadRequest), default);

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("400", result.Error);
        Assert.Contains("Prompt is too long", result.Error);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(529)]
    [InlineData(408)]
    public void Rate_limits_timeouts_and_server_errors_are_transient(int status)
    {
        var result = ClaudeOutcome.From("coder", ApiError(status, "API Error"), default);

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Error);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(413)]
    public void Other_client_errors_are_permanent(int status)
    {
        Assert.Equal(AgentOutcome.PermanentFailure, ClaudeOutcome.From("coder", ApiError(status, "nope"), default).Outcome);
    }

    [Fact]
    public void The_recorded_overload_is_transient()
    {
        var result = ClaudeOutcome.From("coder", Parse(Recorded.Overloaded), default);

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains("529", result.Error);
    }

    [Fact]
    public void A_status_only_in_the_text_is_found()
    {
        var result = Parse(Recorded.Overloaded);
        result.Remove("api_error_status");

        Assert.Equal(529, ClaudeOutcome.ApiStatus(result, "API Error: 529 Overloaded"));
        Assert.Equal(AgentOutcome.TransientFailure, ClaudeOutcome.From("coder", result, default).Outcome);
    }

    [Fact]
    public void Reaching_max_turns_is_permanent_and_names_the_fix()
    {
        var result = ClaudeOutcome.From("coder", Parse(Recorded.MaxTurns), default);

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("max_turns", result.Error);
        Assert.Contains("raise max_turns", result.Error);
    }

    [Fact]
    public void An_execution_error_is_permanent_with_its_diagnostics()
    {
        var result = ClaudeOutcome.From("coder", Parse(Recorded.Interrupted), default);

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("error_during_execution", result.Error);
        Assert.Contains("ede_diagnostic", result.Error);
    }

    [Fact]
    public void An_exit_without_a_result_message_says_so()
    {
        var exited = ClaudeOutcome.From("coder", null, default, exit: new ExitStatus(1, null), logTail: "boom");
        var killed = ClaudeOutcome.From("coder", null, default, exit: new ExitStatus(null, 9));

        Assert.Equal(AgentOutcome.PermanentFailure, exited.Outcome);
        Assert.Contains("without a result message", exited.Error);
        Assert.Contains("exit code 1", exited.Error);
        Assert.Contains("boom", exited.Error);
        Assert.Equal(AgentOutcome.TransientFailure, killed.Outcome);
    }
}
