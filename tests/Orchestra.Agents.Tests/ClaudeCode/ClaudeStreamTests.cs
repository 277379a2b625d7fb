using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ClaudeStreamTests
{
    [Fact]
    public void A_recorded_tool_turn_becomes_init_tool_call_tool_result_assistant_and_result_events()
    {
        var stream = new ClaudeStream();

        var events = new[] { Recorded.Init, Recorded.ToolUse, Recorded.ToolResult, Recorded.AssistantText, Recorded.Success }
            .SelectMany(stream.ReadLine).ToList();

        Assert.Equal(["init", "tool_call", "tool_result", "assistant", "result"], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.True(e.Persist));
        var init = events[0].Data!;
        Assert.Equal("fbf77d7e-f895-46fb-b1fe-a96dc06371cb", (string?)init["session_id"]);
        Assert.Equal("fake-model", (string?)init["model"]);
        Assert.Equal("2.1.197", (string?)init["claude_code_version"]);
        Assert.Equal("default", (string?)init["permission_mode"]);
        var call = events[1].Data!;
        Assert.Equal("Write", (string?)call["tool"]);
        Assert.Equal("toolu_fake000003", (string?)call["call_id"]);
        Assert.Contains("hello.txt", (string?)call["arguments"]);
        var result = events[2].Data!;
        Assert.Equal("Write", (string?)result["tool"]);
        Assert.False((bool)result["is_error"]!);
        Assert.StartsWith("File created successfully", (string?)result["result"]);
        Assert.Equal("Done writing.", (string?)events[3].Data!["text"]);
        var done = events[4].Data!;
        Assert.Equal("success", (string?)done["subtype"]);
        Assert.False((bool)done["is_error"]!);
        Assert.Equal(2, (long)done["num_turns"]!);
        Assert.Equal(0.109605m, (decimal)done["total_cost_usd"]!);
    }

    [Fact]
    public void The_result_gives_session_usage_cost_and_the_last_text()
    {
        var stream = new ClaudeStream();
        foreach (var line in new[] { Recorded.Init, Recorded.AssistantText, Recorded.Success })
            stream.ReadLine(line);

        Assert.Equal("fbf77d7e-f895-46fb-b1fe-a96dc06371cb", stream.SessionId);
        Assert.Equal(1, stream.Results);
        Assert.Equal("Done writing.", stream.LastAssistantText);
        Assert.Equal(21816, stream.Usage.InputTokens);
        Assert.Equal(21, stream.Usage.OutputTokens);
        Assert.Equal(0.109605m, stream.Usage.CostUsd);
    }

    [Fact]
    public void Tokens_add_up_over_results_and_cost_is_the_running_total_the_cli_reports()
    {
        var stream = new ClaudeStream();
        stream.ReadLine(Recorded.Success);
        var second = JsonNode.Parse(Recorded.Success)!.AsObject();
        second["total_cost_usd"] = 0.21753;
        second["usage"]!["cache_read_input_tokens"] = 1000;
        stream.Read(second);

        Assert.Equal(2, stream.Results);
        Assert.Equal(21816 * 2 + 1000, stream.Usage.InputTokens);
        Assert.Equal(1000, stream.Usage.CachedTokens);
        Assert.Equal(42, stream.Usage.OutputTokens);
        Assert.Equal(0.21753m, stream.Usage.CostUsd);
    }

    [Fact]
    public void Text_deltas_become_tokens_that_are_not_stored_and_other_stream_events_nothing()
    {
        var stream = new ClaudeStream();

        var token = Assert.Single(stream.ReadLine(Recorded.TextDelta));
        Assert.Empty(stream.ReadLine(Recorded.MessageStart));

        Assert.Equal("token", token.Kind);
        Assert.False(token.Persist);
        Assert.Equal("Hello ", (string?)token.Data!["text"]);
    }

    [Fact]
    public void Thinking_blocks_become_thinking_events()
    {
        var e = Assert.Single(new ClaudeStream().ReadLine(Recorded.Thinking));

        Assert.Equal("thinking", e.Kind);
        Assert.Equal("The user wants a file.", (string?)e.Data!["text"]);
    }

    [Fact]
    public void System_messages_are_events_and_status_ones_are_not_stored()
    {
        var stream = new ClaudeStream();

        var retry = Assert.Single(stream.ReadLine(Recorded.ApiRetry));
        var status = Assert.Single(stream.ReadLine(Recorded.Status));

        Assert.Equal("system", retry.Kind);
        Assert.True(retry.Persist);
        Assert.Equal("api_retry", (string?)retry.Data!["subtype"]);
        Assert.Equal(529, (int)retry.Data["error_status"]!);
        Assert.False(status.Persist);
    }

    [Fact]
    public void A_failed_tool_result_and_an_api_error_result_are_marked_as_errors()
    {
        var stream = new ClaudeStream();
        stream.ReadLine(Recorded.ToolUse);

        var denied = Assert.Single(stream.ReadLine(Recorded.DeniedToolResult));
        var failed = Assert.Single(stream.ReadLine(Recorded.BadRequest));

        Assert.True((bool)denied.Data!["is_error"]!);
        Assert.True((bool)failed.Data!["is_error"]!);
        Assert.Equal(400, (int)failed.Data["api_error_status"]!);
        Assert.Equal("Prompt is too long", (string?)failed.Data["error"]);
    }

    [Fact]
    public void Lines_that_are_not_json_and_unknown_types_are_still_events()
    {
        var stream = new ClaudeStream();

        var output = Assert.Single(stream.ReadLine("Error: something odd"));
        var unknown = Assert.Single(stream.ReadLine("""{"type":"brand_new","x":1}"""));

        Assert.Empty(stream.ReadLine("   "));
        Assert.Equal("output", output.Kind);
        Assert.Equal("message", unknown.Kind);
        Assert.Equal("brand_new", (string?)unknown.Data!["type"]);
    }

    [Fact]
    public void Long_texts_are_clipped_in_events()
    {
        var text = new string('x', 5000);
        var line = new JsonObject
        {
            ["type"] = "assistant",
            ["message"] = new JsonObject { ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }) },
        }.ToJsonString();
        var stream = new ClaudeStream();

        var e = Assert.Single(stream.ReadLine(line));

        Assert.True(((string?)e.Data!["text"])!.Length < 2100);
        Assert.Equal(text, stream.LastAssistantText);
    }
}
