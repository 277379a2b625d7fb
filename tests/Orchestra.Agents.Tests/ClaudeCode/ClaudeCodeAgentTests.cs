using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>What the claude-code kind does without a real CLI: missing programs, bad input, orphans.</summary>
public sealed class ClaudeCodeAgentTests : Cli.CliTestBase
{
    // The seed source is an empty directory: these tests never read the real user's configuration.
    private ClaudeCodeAgent Agent(ClaudeCodeOptions options) =>
        new("claude", options with { Env = new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = Path.Combine(Root, "user-config") } }, Paths);

    private Task<AgentResult> InvokeAsync(ClaudeCodeAgent agent, JsonObject? input = null, Func<string, SessionRecord?>? sessions = null)
    {
        var step = NewStep() with { Input = input };
        var context = new AgentContext(step, [], Root, TimeProvider.System,
            loadSession: (id, _) => ValueTask.FromResult(sessions?.Invoke(id)));
        return agent.InvokeAsync(context).AsTask();
    }

    [Fact]
    public async Task A_missing_cli_is_a_one_line_permanent_error_that_says_how_to_install_it()
    {
        var result = await InvokeAsync(Agent(new ClaudeCodeOptions { Executable = "claude-not-installed-" + Guid.NewGuid().ToString("N") }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("not found", result.Error);
        Assert.Contains("on PATH", result.Error);
        Assert.Contains("npm install -g @anthropic-ai/claude-code", result.Error);
        Assert.DoesNotContain('\n', result.Error!);
    }

    [Fact]
    public async Task A_missing_cli_path_names_the_path()
    {
        var result = await InvokeAsync(Agent(new ClaudeCodeOptions { Executable = "tools/claude" }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("'tools/claude'", result.Error);
        Assert.Contains("executable:", result.Error);
    }

    [Fact]
    public async Task A_program_that_exits_without_a_result_message_is_a_failure_that_says_so()
    {
        var script = Path.Combine(Root, "fake-claude");
        File.WriteAllText(script, "#!/bin/sh\necho 'fatal: cannot start' >&2\nexit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await InvokeAsync(Agent(new ClaudeCodeOptions { Executable = script }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("without a result message", result.Error);
        Assert.Contains("exit code 3", result.Error);
        Assert.Contains("fatal: cannot start", result.Error);
    }

    [Fact]
    public async Task A_session_of_another_agent_and_an_unsafe_session_id_are_refused()
    {
        var script = Path.Combine(Root, "never-run");
        File.WriteAllText(script, "#!/bin/sh\nexit 99\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var agent = Agent(new ClaudeCodeOptions { Executable = script });

        var other = await InvokeAsync(agent, new JsonObject { ["session"] = "chat" }, _ => new SessionRecord { Id = "chat", Agent = "someone-else" });
        var unsafeId = await InvokeAsync(agent, new JsonObject { ["resume"] = "../../etc/passwd" });
        var unknown = await InvokeAsync(agent, new JsonObject { ["resume"] = "0b7c2f6e-0000-4000-8000-000000000000" });

        Assert.Contains("conversation with agent 'someone-else'", other.Error);
        Assert.Contains("is not a Claude Code session id", unsafeId.Error);
        Assert.Contains("cannot be resumed", unknown.Error);
        Assert.All([other, unsafeId, unknown], r => Assert.Equal(AgentOutcome.PermanentFailure, r.Outcome));
    }

    [Fact]
    public async Task An_orphaned_cli_found_after_a_worker_died_is_stopped_and_the_attempt_fails_as_transient()
    {
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = ["/bin/sh", "-c", "sleep 300"],
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            WorkingDirectory = Root,
            OutputFile = Path.Combine(Root, "orphan.log"),
        });
        var process = Assert.NotNull(launch.Process);
        Track(process);
        var step = NewStep() with { Handle = new CliHandle(process.Pid, process.StartTime, "", 0).ToJson() };

        var found = await Agent(new ClaudeCodeOptions { GracePeriod = TimeSpan.FromSeconds(2) }).ReconcileAsync(step);

        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal(AgentOutcome.TransientFailure, found.Result!.Outcome);
        Assert.Contains("lost the worker", found.Result.Error);
        await WaitUntilAsync(() => ChildProcess.TryReap(process.Pid, out _) != ReapState.Running, "the orphan is stopped");
        Assert.True(IsGone(process));
    }
}
