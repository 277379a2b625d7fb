using System.Text.Json.Nodes;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>The JSONL of <c>codex exec --json</c>, as recorded from Codex 0.169, mapped to events and a result.</summary>
public sealed class CodexTranscriptTests
{
    // A run that wrote a file through apply_patch, ran a command and answered.
    private static readonly string[] ToolRun =
    [
        """{"type":"thread.started","thread_id":"01a20218-4e95-7f21-9609-8dbdc9e631be"}""",
        """{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `fake-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}""",
        """{"type":"turn.started"}""",
        """{"type":"item.started","item":{"id":"item_1","type":"file_change","changes":[{"path":"/w/hello.txt","kind":"add"}],"status":"in_progress"}}""",
        """{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/w/hello.txt","kind":"add"}],"status":"completed"}}""",
        """{"type":"item.started","item":{"id":"item_2","type":"command_execution","command":"/bin/bash -lc 'echo hi > out.txt'","aggregated_output":"","exit_code":null,"status":"in_progress"}}""",
        """{"type":"item.completed","item":{"id":"item_2","type":"command_execution","command":"/bin/bash -lc 'echo hi > out.txt'","aggregated_output":"done\n","exit_code":0,"status":"completed"}}""",
        """{"type":"item.completed","item":{"id":"item_3","type":"reasoning","text":"**Checking the file**"}}""",
        """{"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"Wrote the file."}}""",
        """{"type":"turn.completed","usage":{"input_tokens":10086,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":17,"reasoning_output_tokens":0}}""",
    ];

    private static (CodexTranscript Transcript, List<AgentEvent> Events) Read(IEnumerable<string> lines, string? model = null, PriceTable? prices = null)
    {
        var transcript = new CodexTranscript(model, prices);
        var events = new List<AgentEvent>();
        foreach (var line in lines)
            transcript.Read(line, events.Add);
        return (transcript, events);
    }

    [Fact]
    public void ToolRun_KeepsThreadFinalMessageUsageAndChangedFiles()
    {
        var (t, _) = Read(ToolRun);

        Assert.Equal("01a20218-4e95-7f21-9609-8dbdc9e631be", t.ThreadId);
        Assert.Equal("Wrote the file.", t.FinalMessage);
        Assert.Equal(1, t.CompletedTurns);
        Assert.Null(t.Failure);
        Assert.Equal(10086, t.Usage.InputTokens);
        Assert.Equal(40, t.Usage.CachedTokens);
        Assert.Equal(17, t.Usage.OutputTokens);
        Assert.Equal(0m, t.Usage.CostUsd);
        var change = Assert.Single(t.FileChanges);
        Assert.Equal("/w/hello.txt", (string?)change["path"]);
        Assert.Equal("add", (string?)change["kind"]);
    }

    [Fact]
    public void ToolRun_MapsEachLineToItsEvent()
    {
        var (_, events) = Read(ToolRun);

        Assert.Equal(
            ["session.started", "warning", "turn.started", "file_change", "tool_call", "tool_result", "thinking", "message", "usage"],
            events.Select(e => e.Kind));
        Assert.All(events, e => Assert.True(e.Persist));
        var call = events.Single(e => e.Kind == "tool_call").Data!;
        Assert.Equal("shell", (string?)call["tool"]);
        Assert.Equal("item_2", (string?)call["call_id"]);
        Assert.Equal("/bin/bash -lc 'echo hi > out.txt'", (string?)call["arguments"]);
        var result = events.Single(e => e.Kind == "tool_result").Data!;
        Assert.Equal(0, (int?)result["exit_code"]);
        Assert.False((bool?)result["is_error"]);
        Assert.Equal("done\n", (string?)result["result"]);
        Assert.Equal("Wrote the file.", (string?)events.Single(e => e.Kind == "message").Data!["text"]);
        Assert.Equal(10086, (long?)events.Single(e => e.Kind == "usage").Data!["input_tokens"]);
        Assert.Contains("Model metadata", (string?)events.Single(e => e.Kind == "warning").Data!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_IsPricedByModel_WhenTheModelHasAPrice()
    {
        var prices = new PriceTable([KeyValuePair.Create("fake-model", new ModelPrice(1m, 2m, 0.5m))]);

        var (t, events) = Read(ToolRun, "fake-model", prices);

        // 10046 fresh input at $1/M, 40 cached at $0.5/M, 17 output at $2/M.
        var expected = decimal.Round((10046m * 1m + 40m * 0.5m + 17m * 2m) / 1_000_000m, 8);
        Assert.Equal(expected, t.Usage.CostUsd);
        Assert.Equal(expected, (decimal?)events.Single(e => e.Kind == "usage").Data!["cost_usd"]);
    }

    [Fact]
    public void FailedTurn_IsKeptAsTheFailure_AndTheErrorEventAsLastError()
    {
        var (t, events) = Read(
        [
            """{"type":"thread.started","thread_id":"t-1"}""",
            """{"type":"turn.started"}""",
            """{"type":"error","message":"unexpected status 503 Service Unavailable: overloaded now, url: http://127.0.0.1:1/v1/responses, request id: req_1"}""",
            """{"type":"turn.failed","error":{"message":"unexpected status 503 Service Unavailable: overloaded now, url: http://127.0.0.1:1/v1/responses, request id: req_1"}}""",
        ]);

        Assert.StartsWith("unexpected status 503", t.Failure, StringComparison.Ordinal);
        Assert.StartsWith("unexpected status 503", t.LastError, StringComparison.Ordinal);
        Assert.Equal(0, t.CompletedTurns);
        Assert.Equal(["session.started", "turn.started", "error", "turn.failed"], events.Select(e => e.Kind));
    }

    [Fact]
    public void McpCallsTodoListsAndWebSearches_BecomeToolAndPlanEvents()
    {
        var (_, events) = Read(
        [
            """{"type":"item.started","item":{"id":"item_0","type":"todo_list","items":[{"text":"Read the parser","completed":false},{"text":"Write tests","completed":false}]}}""",
            """{"type":"item.started","item":{"id":"item_1","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"parser"},"result":null,"error":null,"status":"in_progress"}}""",
            """{"type":"item.completed","item":{"id":"item_1","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"parser"},"result":{"content":[{"type":"text","text":"found"}],"structured_content":null},"error":null,"status":"completed"}}""",
            """{"type":"item.started","item":{"id":"item_2","type":"mcp_tool_call","server":"docs","tool":"open","arguments":{},"result":null,"error":null,"status":"in_progress"}}""",
            """{"type":"item.completed","item":{"id":"item_2","type":"mcp_tool_call","server":"docs","tool":"open","arguments":{},"result":null,"error":{"message":"no such page"},"status":"failed"}}""",
            """{"type":"item.updated","item":{"id":"item_0","type":"todo_list","items":[{"text":"Read the parser","completed":true},{"text":"Write tests","completed":false}]}}""",
            """{"type":"item.started","item":{"id":"item_3","type":"web_search","query":"xunit theory"}}""",
            """{"type":"item.completed","item":{"id":"item_3","type":"web_search","query":"xunit theory"}}""",
        ]);

        Assert.Equal(["plan", "tool_call", "tool_result", "tool_call", "tool_result", "plan", "tool_call", "tool_result"], events.Select(e => e.Kind));
        var call = events[1].Data!;
        Assert.Equal("docs/search", (string?)call["tool"]);
        Assert.Equal("""{"q":"parser"}""", (string?)call["arguments"]);
        Assert.False((bool?)events[2].Data!["is_error"]);
        Assert.Contains("found", (string?)events[2].Data!["result"], StringComparison.Ordinal);
        Assert.True((bool?)events[4].Data!["is_error"]);
        Assert.Equal("no such page", (string?)events[4].Data!["result"]);
        var plan = (JsonArray)events[5].Data!["items"]!;
        Assert.True((bool?)plan[0]!["completed"]);
        Assert.False((bool?)plan[1]!["completed"]);
        Assert.Equal("web_search", (string?)events[6].Data!["tool"]);
        Assert.Equal("xunit theory", (string?)events[6].Data!["arguments"]);
    }

    [Fact]
    public void ProgressOfRunningItems_IsStreamedButNotPersisted()
    {
        var (_, events) = Read(
        [
            """{"type":"item.updated","item":{"id":"item_1","type":"command_execution","command":"make","aggregated_output":"building…","exit_code":null,"status":"in_progress"}}""",
            """{"type":"item.updated","item":{"id":"item_2","type":"agent_message","text":"Wor"}}""",
        ]);

        Assert.All(events, e => Assert.Equal("item.progress", e.Kind));
        Assert.All(events, e => Assert.False(e.Persist));
    }

    [Fact]
    public void LongText_IsClipped_AndSecretsAreRedacted()
    {
        var key = "sk-" + new string('a', 40);
        var (_, events) = Read(
        [
            $$$"""{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"echo {{{key}}}","aggregated_output":"{{{new string('x', 5000)}}}","exit_code":1,"status":"failed"}}""",
        ]);

        var data = events.Single().Data!;
        Assert.DoesNotContain(key, data.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("[redacted]", (string?)data["command"], StringComparison.Ordinal);
        Assert.True(((string?)data["result"])!.Length <= CodexTranscript.TextLimit + 1);
        Assert.True((bool?)data["is_error"]);
    }

    [Fact]
    public void LinesThatAreNotEvents_AreKeptAsDiagnostics_WithoutBacktraces()
    {
        var (t, events) = Read(
        [
            "WARNING: proceeding, even though we could not create PATH aliases",
            "Error: legacy `profile = \"x\"` config is no longer supported",
            "",
            "Stack backtrace:",
            "   0: <unknown>",
            "   1: <unknown>",
        ]);

        Assert.Empty(events);
        Assert.False(t.SawEvents);
        Assert.Equal(["WARNING: proceeding, even though we could not create PATH aliases", "Error: legacy `profile = \"x\"` config is no longer supported"], t.Diagnostics);
    }

    [Fact]
    public void UnknownEventsAndItems_AreKeptUnderACodexPrefix()
    {
        var (_, events) = Read(
        [
            """{"type":"thread.compacted","reason":"context"}""",
            """{"type":"item.completed","item":{"id":"i","type":"image_view","path":"a.png"}}""",
        ]);

        Assert.Equal(["codex.thread.compacted", "codex.image_view"], events.Select(e => e.Kind));
        Assert.Contains("a.png", (string?)events[1].Data!["item"], StringComparison.Ordinal);
    }
}
