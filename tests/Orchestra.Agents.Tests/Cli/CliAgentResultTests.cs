using System.Globalization;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;

namespace Orchestra.Agents.Tests.Cli;

public sealed class CliAgentResultTests : CliTestBase
{
    [Fact]
    public async Task ExitCodeZeroIsSuccessWithTheLogTail()
    {
        var h = NewHarness();
        var result = await h.InvokeAsync(Sh("echo hello; echo oops >&2"));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Contains("hello", result.Output, StringComparison.Ordinal);
        Assert.Contains("oops", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--- orchestra", result.Output, StringComparison.Ordinal);

        var handle = CliHandle.TryParse(await h.Handle);
        Assert.NotNull(handle);
        Assert.True(handle.Pid > 1);
        Assert.True(handle.Start > 0);
        Assert.Equal(Paths.LogFile(h.Step.Id), handle.Log);
        var started = Assert.Single(h.Events, e => e.Kind == "process.started");
        Assert.Equal(handle.Pid, started.Data!["pid"]!.GetValue<int>());

        var log = await File.ReadAllTextAsync(Paths.LogFile(h.Step.Id));
        Assert.Contains($"--- orchestra: step {h.Step.Id}, attempt 1", log, StringComparison.Ordinal);
        Assert.Contains("hello\n", log, StringComparison.Ordinal);
        Assert.Contains("oops\n", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutputIsOnlyThisAttemptsPartOfTheLog()
    {
        var step = NewStep();
        Assert.Equal(AgentOutcome.Succeeded, (await RunAsync(Sh("echo first-attempt"), step)).Outcome);
        var second = await RunAsync(Sh("echo second-attempt"), step with { Attempt = 2 });

        Assert.Equal("second-attempt\n", second.Output);
        var log = await File.ReadAllTextAsync(Paths.LogFile(step.Id));
        Assert.Contains("first-attempt", log, StringComparison.Ordinal);
        Assert.Contains("second-attempt", log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("echo broken; exit 3", AgentOutcome.PermanentFailure, "exited with code 3")]
    [InlineData("exit 75", AgentOutcome.TransientFailure, "code 75")]
    [InlineData("kill -9 $$", AgentOutcome.TransientFailure, "killed by signal 9")]
    public async Task NonZeroExitsAreClassified(string script, AgentOutcome outcome, string message)
    {
        var result = await RunAsync(Sh(script));

        Assert.Equal(outcome, result.Outcome);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PermanentFailureQuotesTheEndOfTheLog()
    {
        var result = await RunAsync(Sh("echo 'cannot read config.toml' >&2; exit 2"));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("last output: cannot read config.toml", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoneSentinelWinsOverTheExitCode()
    {
        var result = await RunAsync(Sh("printf 'the answer\\n' > \"$ORCHESTRA_DONE_FILE\"; exit 1"));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("the answer", result.Output);
    }

    [Fact]
    public async Task DoneSentinelJsonGivesOutputDataAndRoute()
    {
        var result = await RunAsync(Sh("""printf '{"output":"summary","route":"review","data":{"n":1}}' > "$ORCHESTRA_DONE_FILE" """));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("summary", result.Output);
        Assert.Equal("review", result.Route);
        Assert.Equal(1, result.Data!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task EmptyDoneSentinelGivesTheLogTail()
    {
        var result = await RunAsync(Sh("echo produced; touch \"$ORCHESTRA_DONE_FILE\""));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("produced\n", result.Output);
    }

    [Theory]
    [InlineData("""{"error": "rate limited", "transient": true}""", AgentOutcome.TransientFailure, "rate limited")]
    [InlineData("""{"error": "no such repository", "transient": false}""", AgentOutcome.PermanentFailure, "no such repository")]
    [InlineData("""{"error": "bad input"}""", AgentOutcome.PermanentFailure, "bad input")]
    [InlineData("it all went wrong", AgentOutcome.PermanentFailure, "it all went wrong")]
    public async Task ErrorSentinelIsMapped(string content, AgentOutcome outcome, string message)
    {
        var step = NewStep();
        Directory.CreateDirectory(Root + "/in");
        await File.WriteAllTextAsync(Path.Combine(Root, "in", "error.txt"), content);
        var result = await RunAsync(Sh("cp \"$ORCHESTRA_WORKDIR/in/error.txt\" \"$ORCHESTRA_ERROR_FILE\"; exit 0"), step);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(message, result.Error);
    }

    [Fact]
    public async Task ErrorSentinelWinsOverDone()
    {
        var result = await RunAsync(Sh("echo ok > \"$ORCHESTRA_DONE_FILE\"; echo nope > \"$ORCHESTRA_ERROR_FILE\""));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("nope", result.Error);
    }

    [Fact]
    public async Task SentinelModeFailsWithoutASentinel()
    {
        var result = await RunAsync(Sh("echo forgot", CliCompletion.Sentinel));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("exited with code 0 without writing .orchestra/steps/", result.Error, StringComparison.Ordinal);
        Assert.Contains(".done", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitModeIgnoresSentinels()
    {
        var result = await RunAsync(Sh("echo nope > \"$ORCHESTRA_ERROR_FILE\"; echo fine", CliCompletion.Exit));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("fine\n", result.Output);
    }

    [Fact]
    public async Task AProcessThatOutstaysItsSentinelIsStopped()
    {
        var h = NewHarness();
        var result = await h.InvokeAsync(Sh("echo done > \"$ORCHESTRA_DONE_FILE\"; exec sleep 1000", CliCompletion.Sentinel, TimeSpan.FromMilliseconds(200)));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("done", result.Output);
        Assert.True(IsGone(CliHandle.TryParse(await h.Handle)!.Process));
    }

    [Fact]
    public async Task LeftoverBackgroundProcessesAreStoppedAfterExit()
    {
        var pids = Path.Combine(Root, "pids");
        var h = NewHarness();
        var result = await h.InvokeAsync(Sh($"sleep 1000 & echo $! > '{pids}'; echo main done"));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var leader = CliHandle.TryParse(await h.Handle)!.Pid;
        var pid = int.Parse((await File.ReadAllTextAsync(pids)).Trim(), CultureInfo.InvariantCulture);
        if (ProcessProbe.StartTime(pid) is { } start)
            TrackOther(new ProcessIdentity(pid, start));
        // The agent returns only once its group has no live member left.
        Assert.True(ProcessProbe.Read(pid) is not { } s || s.HasExited || s.ProcessGroup != leader);
        Assert.Empty(ProcessProbe.LiveGroupMembers(leader));
    }

    [Fact]
    public async Task StaleSentinelsOfTheStepAreDeleted()
    {
        var step = NewStep();
        Directory.CreateDirectory(Paths.StepsDir);
        await File.WriteAllTextAsync(Paths.DoneFile(step.Id), "old success");
        await File.WriteAllTextAsync(Paths.CancelledFile(step.Id), "");

        var result = await RunAsync(Sh("exit 4"), step);

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.False(File.Exists(Paths.CancelledFile(step.Id)));
    }

    [Fact]
    public async Task CommandNotFoundIsPermanentWithAClearMessage()
    {
        var h = NewHarness();
        var result = await h.InvokeAsync(Agent(new CliAgentOptions { Command = ["orchestra-no-such-agent-xyz", "{prompt}"] }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("command 'orchestra-no-such-agent-xyz' not found: install it or fix `command:` in .orchestra/agents/tester.yaml", result.Error);
        Assert.False(h.HandleSet);
    }

    [Fact]
    public async Task NonExecutableFileIsPermanent()
    {
        var script = Path.Combine(Root, "not-executable.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = await RunAsync(Agent(new CliAgentOptions { Command = ["./not-executable.sh"] }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("is not executable", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptsInTheWorkspaceRunByRelativePath()
    {
        var script = Path.Combine(Root, "agent.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho \"script got: $1\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await RunAsync(Agent(new CliAgentOptions { Command = ["./agent.sh", "{prompt}"] }), NewStep("fix the bug"));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("script got: fix the bug\n", result.Output);
    }

    [Fact]
    public async Task APromptWithANulCharacterIsRefused()
    {
        var h = NewHarness(NewStep("before\0after"));
        var result = await h.InvokeAsync(Agent(new CliAgentOptions { Command = ["/bin/echo", "{prompt}"] }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("NUL character", result.Error, StringComparison.Ordinal);
        Assert.False(h.HandleSet);
    }

    [Fact]
    public async Task AlreadyCancelledTokenStartsNothing()
    {
        var h = NewHarness();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var result = await h.InvokeAsync(Sh("echo never"), cts.Token);

        Assert.Equal(AgentOutcome.Cancelled, result.Outcome);
        Assert.False(h.HandleSet);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => Agent(new CliAgentOptions { Command = [] }));
        Assert.Throws<ArgumentException>(() => Agent(new CliAgentOptions { Command = [" "] }));
        Assert.Throws<ArgumentException>(() => Agent(new CliAgentOptions { Command = ["x"], Env = new Dictionary<string, string> { ["A=B"] = "c" } }));
        Assert.Throws<ArgumentException>(() => Agent(new CliAgentOptions { Command = ["x"], GracePeriod = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentException>(() => Agent(new CliAgentOptions { Command = ["x"], MaxConcurrency = 0 }));
        Assert.Equal(3, Agent(new CliAgentOptions { Command = ["x"], MaxConcurrency = 3 }).MaxConcurrency);
    }

    [Fact]
    public void DefaultsAreExitOrSentinelAndFiveSeconds()
    {
        var options = new CliAgentOptions { Command = ["x"] };

        Assert.Equal(CliCompletion.ExitOrSentinel, options.Completion);
        Assert.Equal(TimeSpan.FromSeconds(5), options.GracePeriod);
        Assert.Contains("{done_file}", CliAgent.DefaultProtocolPrompt, StringComparison.Ordinal);
        Assert.Contains("{error_file}", CliAgent.DefaultProtocolPrompt, StringComparison.Ordinal);
        Assert.Contains("{plan_file}", CliAgent.DefaultProtocolPrompt, StringComparison.Ordinal);
        Assert.Contains("\"transient\": false", CliAgent.DefaultProtocolPrompt, StringComparison.Ordinal);
    }
}
