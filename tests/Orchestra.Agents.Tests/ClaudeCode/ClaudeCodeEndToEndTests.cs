using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Core.Agents;
using Orchestra.FakeProvider;

namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>The claude-code kind driving the real, pinned Claude Code CLI against the fake provider.</summary>
public sealed class ClaudeCodeEndToEndTests : ClaudeCodeTestBase
{
    private void ScriptWrite(string file, string content, string answer)
    {
        Server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("create the file") && r.ToolNames.Count > 0 && r.LastToolResultText is null) with
        {
            ToolCalls = [new FakeToolCall("Write", new JsonObject { ["file_path"] = file, ["content"] = content }.ToJsonString())],
        });
        Server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with
        {
            Text = answer,
            Usage = new FakeUsage(1200, 30),
        });
    }

    [ClaudeCliFact]
    public async Task A_scripted_write_lands_in_the_work_directory_with_events_cost_and_a_permission_answered_by_policy()
    {
        var file = Path.Combine(WorkDirectory, "hello.txt");
        ScriptWrite(file, "hello from claude\n", "I created hello.txt.");

        var run = await RunAsync(Agent(Options()), "Please create the file hello.txt");

        Assert.Equal(AgentOutcome.Succeeded, run.Result.Outcome);
        Assert.Equal("I created hello.txt.", run.Result.Output);
        Assert.Equal("hello from claude\n", File.ReadAllText(file));
        Assert.True(run.Result.Usage.CostUsd > 0, "the cost reported by the CLI is recorded");
        Assert.True(run.Result.Usage.InputTokens > 0);

        var kinds = run.Events.Where(e => e.Persist).Select(e => e.Kind).ToList();
        Assert.Equal(["process.started", "init", "tool_call", "permission", "tool_result", "assistant", "result"], kinds);
        var permission = run.OfKind("permission").Single().Data!;
        Assert.Equal("Write", (string?)permission["tool"]);
        Assert.Equal("allow", (string?)permission["decision"]);
        Assert.Equal("can_use_tool", (string?)permission["source"]);
        Assert.False((bool)run.OfKind("tool_result").Single().Data!["is_error"]!);
        Assert.Contains(run.Events, e => e.Kind == "token" && !e.Persist);
        Assert.Equal(WorkDirectory, (string?)run.OfKind("init").Single().Data!["cwd"]);

        // Its own configuration directory, its log with the transcript, nothing left running.
        Assert.True(Directory.Exists(Paths.ClaudeConfigDir(run.Step.Id)));
        Assert.Contains("\"type\":\"result\"", File.ReadAllText(Paths.LogFile(run.Step.Id)));
        AssertGroupGone(run.Pid);
        var request = Server.Requests.First(r => r.Path.StartsWith("/v1/messages", StringComparison.Ordinal) && r.ToolNames.Count > 0);
        Assert.Equal("claude-sonnet-4-5", request.Model);
    }

    [ClaudeCliFact]
    public async Task A_read_only_agent_is_denied_its_write_by_the_hook_and_the_denial_is_recorded()
    {
        var file = Path.Combine(WorkDirectory, "notes.txt");
        ScriptWrite(file, "should not exist", "I could not write it.");

        var run = await RunAsync(Agent(Options(o => o with { ReadOnly = true })), "Review, then create the file notes.txt");

        Assert.Equal(AgentOutcome.Succeeded, run.Result.Outcome);
        Assert.False(File.Exists(file));
        var permission = run.OfKind("permission").Single().Data!;
        Assert.Equal("Write", (string?)permission["tool"]);
        Assert.Equal("deny", (string?)permission["decision"]);
        Assert.Equal("hook", (string?)permission["source"]);
        Assert.Contains("read-only", (string?)permission["reason"]);
        var toolResult = run.OfKind("tool_result").Single().Data!;
        Assert.True((bool)toolResult["is_error"]!);
        Assert.Contains("read-only", (string?)toolResult["result"]);
        AssertGroupGone(run.Pid);
    }

    [ClaudeCliFact]
    public async Task An_api_error_400_is_a_permanent_failure()
    {
        Server.Enqueue(FakeReply.FromError(400, "model: unknown model 'x'") with { Sticky = true });

        var run = await RunAsync(Agent(Options()), "hello");

        Assert.Equal(AgentOutcome.PermanentFailure, run.Result.Outcome);
        Assert.Contains("400", run.Result.Error);
        Assert.True((bool)run.OfKind("result").Single().Data!["is_error"]!);
        AssertGroupGone(run.Pid);
    }

    [ClaudeCliTheory]
    [InlineData(529)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task Overload_server_errors_and_rate_limits_are_transient_failures(int status)
    {
        Server.Enqueue(FakeReply.FromError(status, "try later") with { Sticky = true });

        var run = await RunAsync(Agent(Options()), "hello");

        Assert.Equal(AgentOutcome.TransientFailure, run.Result.Outcome);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Result.Error);
        AssertGroupGone(run.Pid);
    }

    [ClaudeCliFact]
    public async Task A_cli_that_stops_writing_is_ended_by_the_watchdog_as_a_transient_failure()
    {
        Server.Enqueue(new FakeReply { Text = "too late", FirstByteDelay = TimeSpan.FromMinutes(10), Sticky = true });

        var run = await RunAsync(Agent(Options(o => o with { IdleTimeout = TimeSpan.FromSeconds(4), IncludePartialMessages = false })), "hello");

        Assert.Equal(AgentOutcome.TransientFailure, run.Result.Outcome);
        Assert.Contains("idle_timeout", run.Result.Error);
        Assert.Single(run.OfKind("watchdog"));
        AssertGroupGone(run.Pid);
    }

    [ClaudeCliFact]
    public async Task The_watchdog_also_ends_a_shell_command_that_hangs()
    {
        using var started = new ShellStarted(Path.Combine(Root, "hung.fifo"));
        var fifo = started.Path;
        Server.Enqueue(FakeReply.When(r => r.ToolNames.Count > 0 && r.LastToolResultText is null) with
        {
            ToolCalls = [new FakeToolCall("Bash", new JsonObject { ["command"] = $"echo $$ > {fifo}; exec sleep 300" }.ToJsonString())],
        });

        var run = await RunAsync(Agent(Options(o => o with { IdleTimeout = TimeSpan.FromSeconds(4), IncludePartialMessages = false })), "run the command");
        var pid = await started.Pid.WaitAsync(RunBound);

        Assert.Equal(AgentOutcome.TransientFailure, run.Result.Outcome);
        Assert.Contains("idle_timeout", run.Result.Error);
        AssertGroupGone(run.Pid);
        Assert.False(Processes.ProcessProbe.Read(pid) is { HasExited: false }, $"the shell (pid {pid}) outlived the watchdog");
    }

    [ClaudeCliFact]
    public async Task Cancellation_interrupts_the_cli_and_ends_its_process_tree_shells_included()
    {
        // The shell writes its pid into a FIFO, which the test reads: no sleeping to find out that it started.
        using var started = new ShellStarted(Path.Combine(Root, "started.fifo"));
        var fifo = started.Path;
        Server.Enqueue(FakeReply.When(r => r.ToolNames.Count > 0 && r.LastToolResultText is null) with
        {
            ToolCalls = [new FakeToolCall("Bash", new JsonObject { ["command"] = $"echo $$ > {fifo}; exec sleep 300" }.ToJsonString())],
        });
        Server.Enqueue(new FakeReply { Text = "done", Sticky = true });
        using var cancel = new CancellationTokenSource();

        var running = RunAsync(Agent(Options()), "run the command", cancellationToken: cancel.Token);
        var pid = await started.Pid.WaitAsync(RunBound);
        Assert.True(Processes.ProcessProbe.Read(pid) is { HasExited: false });
        await cancel.CancelAsync();
        var run = await running;

        Assert.Equal(AgentOutcome.Cancelled, run.Result.Outcome);
        Assert.Single(run.OfKind("interrupt"));
        AssertGroupGone(run.Pid);
        Assert.False(Processes.ProcessProbe.Read(pid) is { HasExited: false }, $"the shell (pid {pid}) outlived the cancellation");
    }

    [ClaudeCliFact]
    public async Task A_session_is_resumed_by_the_next_step_of_the_same_conversation()
    {
        Server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("remember the word")) with { Text = "Remembered." });
        Server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("which word")) with { Text = "It was tangerine." });
        var agent = Agent(Options());
        var input = new JsonObject { ["session"] = "chat" };

        var first = await RunAsync(agent, "Please remember the word tangerine", input);
        Assert.Equal(AgentOutcome.Succeeded, first.Result.Outcome);
        var session = first.Result.Session;
        Assert.NotNull(session);
        var claudeSession = (string?)session.Messages[0]!["claude_session_id"];
        Assert.False(string.IsNullOrEmpty(claudeSession));

        var second = await RunAsync(agent, "Now, which word was it?", (JsonObject)input.DeepClone(), session: session);

        Assert.Equal(AgentOutcome.Succeeded, second.Result.Outcome);
        Assert.Equal("It was tangerine.", second.Result.Output);
        Assert.Equal(claudeSession, (string?)second.OfKind("process.started").Single().Data!["resume"]);
        var request = Server.Requests.Last(r => r.LastUserText.Contains("which word"));
        Assert.Contains("tangerine", request.Body);
        Assert.Equal(2, second.Result.Session!.Turns);
        AssertGroupGone(second.Pid);
    }

    [ClaudeCliFact]
    public async Task Follow_ups_are_sent_after_each_result_and_the_last_answer_is_the_output()
    {
        Server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("first question")) with { Text = "First answer." });
        Server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("second question")) with { Text = "Second answer." });

        var run = await RunAsync(Agent(Options()), "the first question", new JsonObject { ["follow_ups"] = new JsonArray("the second question") });

        Assert.Equal(AgentOutcome.Succeeded, run.Result.Outcome);
        Assert.Equal("Second answer.", run.Result.Output);
        Assert.Equal(2, run.OfKind("result").Count());
        AssertGroupGone(run.Pid);
    }

    /// <summary>A FIFO a scripted shell writes its pid into; reading it tells the test the shell runs, without sleeping.</summary>
    private sealed class ShellStarted : IDisposable
    {
        public ShellStarted(string path)
        {
            Path = path;
            using var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo") { ArgumentList = { path } })!;
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
            Pid = Task.Run(() => int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }

        public string Path { get; }

        public Task<int> Pid { get; }

        /// <summary>Releases the reader when no shell ever wrote (a failed test), so that no thread stays blocked.</summary>
        public void Dispose()
        {
            if (!Pid.IsCompleted)
                File.WriteAllText(Path, "0\n");
        }
    }
}
