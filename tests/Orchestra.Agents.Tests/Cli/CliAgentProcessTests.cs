using System.Globalization;
using System.Text;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;

namespace Orchestra.Agents.Tests.Cli;

// These tests look processes up by their environment and kill process groups: they run on their own, so that
// no other test's processes appear or disappear under them.
[Collection(ProcessLookupCollection.Name)]
public sealed class CliAgentProcessTests : CliTestBase
{
    [Fact]
    public async Task ArgumentsAreSubstitutedPerElementAndNeverReachAShell()
    {
        const string hostile = "two words \"double\" 'single' $(rm -rf /) `id` ; echo pwned && {step_id} > x";
        var step = NewStep(hostile);
        var agent = Agent(new CliAgentOptions
        {
            Command =
            [
                "/bin/sh", "-c", "printf '%s\\0' \"$@\" > \"$ORCHESTRA_WORKDIR/argv\"", "sh",
                "{prompt}", "--id={step_id}", "{attempt}", "{run_id}", "{workdir}", "{log}", "{unknown}",
            ],
        });

        var result = await RunAsync(agent, step);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var argv = (await File.ReadAllTextAsync(Path.Combine(Root, "argv"), Encoding.UTF8)).Split('\0')[..^1];
        Assert.Equal(
            [hostile, $"--id={step.Id}", "1", step.RunId, Root, Paths.LogFile(step.Id), "{unknown}"],
            argv);
        Assert.False(File.Exists(Path.Combine(Root, "x")));
    }

    [Fact]
    public async Task EnvironmentAndWorkingDirectory()
    {
        Directory.CreateDirectory(Path.Combine(Root, "sub", "dir"));
        var step = NewStep();
        var agent = Agent(new CliAgentOptions
        {
            Command =
            [
                "/bin/sh", "-c",
                "printf '%s\\n' \"$FOO\" \"$STEP\" \"$(pwd -P)\" \"$ORCHESTRA_STEP_ID\" \"$ORCHESTRA_RUN_ID\" \"$ORCHESTRA_ATTEMPT\" " +
                "\"$ORCHESTRA_DONE_FILE\" \"$ORCHESTRA_ERROR_FILE\" \"$ORCHESTRA_WORKDIR\" \"$PATH\" > \"$ORCHESTRA_WORKDIR/env\"",
            ],
            Env = new Dictionary<string, string> { ["FOO"] = "bar baz", ["STEP"] = "step {step_id}" },
            Cwd = "sub/dir",
        });

        var result = await RunAsync(agent, step);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var lines = (await File.ReadAllTextAsync(Path.Combine(Root, "env"))).Split('\n');
        Assert.Equal("bar baz", lines[0]);
        Assert.Equal($"step {step.Id}", lines[1]);
        Assert.Equal(Libc.RealPath(Path.Combine(Root, "sub", "dir")), lines[2]);
        Assert.Equal(step.Id, lines[3]);
        Assert.Equal(step.RunId, lines[4]);
        Assert.Equal("1", lines[5]);
        Assert.Equal(Paths.DoneFile(step.Id), lines[6]);
        Assert.Equal(Paths.ErrorFile(step.Id), lines[7]);
        Assert.Equal(Root, lines[8]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH") ?? "", lines[9]);
    }

    [Fact]
    public async Task OutputGoesToTheLogFileAndInputComesFromDevNull()
    {
        // No pipe ties the agent to the orchestrator: it can outlive it and keep logging.
        var step = NewStep();
        var result = await RunAsync(Sh("readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; cat; echo read-eof"), step);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var log = Paths.LogFile(step.Id);
        Assert.Equal($"/dev/null\n{log}\n{log}\nread-eof\n", result.Output);
    }

    [Fact]
    public async Task TheProcessLeadsItsOwnSessionAndGroup()
    {
        var h = NewHarness();
        var run = h.InvokeAsync(Sh("exec sleep 1000"));
        var handle = CliHandle.TryParse(await h.Handle)!;

        var stat = ProcessProbe.Read(handle.Pid);
        Assert.NotNull(stat);
        Assert.Equal(handle.Pid, stat.Value.ProcessGroup);
        Assert.Equal(handle.Pid, stat.Value.Session);
        Assert.Equal(handle.Start, stat.Value.StartTime);

        await Agent(new CliAgentOptions { Command = ["x"], GracePeriod = TimeSpan.Zero }).TerminateAsync(await h.Handle);
        Assert.True(IsGone(handle.Process));
        Assert.Equal(AgentOutcome.TransientFailure, (await run).Outcome);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("sub/../../outside")]
    [InlineData("/etc")]
    [InlineData("link-out")]
    public async Task WorkingDirectoryMustStayInsideTheWorkspace(string cwd)
    {
        var outside = Path.Combine(Path.GetTempPath(), "orchestra-outside-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outside);
        try
        {
            Directory.CreateDirectory(Path.Combine(Root, "outside"));
            Directory.CreateSymbolicLink(Path.Combine(Root, "link-out"), outside);
            var h = NewHarness();

            var result = await h.InvokeAsync(Agent(new CliAgentOptions { Command = ["/bin/true"], Cwd = cwd }));

            Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
            Assert.Contains($"cwd '{cwd}' is outside the workspace", result.Error, StringComparison.Ordinal);
            Assert.False(h.HandleSet);
        }
        finally
        {
            Directory.Delete(outside);
        }
    }

    [Fact]
    public async Task MissingWorkingDirectoryIsPermanent()
    {
        var result = await RunAsync(Agent(new CliAgentOptions { Command = ["/bin/true"], Cwd = "nope" }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("cwd 'nope' does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromptTemplateIsRenderedInOnePass()
    {
        Directory.CreateDirectory(Path.Combine(Root, ".orchestra", "prompts"));
        await File.WriteAllTextAsync(Path.Combine(Root, ".orchestra", "prompts", "p.md"), "TASK:{prompt}|{step_id}|{done_file}|{error_file}|{plan_file}|{other}");
        var step = NewStep("literal {done_file}");
        var agent = Agent(new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", "printf '%s' \"$1\" > \"$ORCHESTRA_WORKDIR/prompt\"", "sh", "{prompt}"],
            PromptTemplate = ".orchestra/prompts/p.md",
        });

        var result = await RunAsync(agent, step);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal(
            $"TASK:literal {{done_file}}|{step.Id}|{Paths.DoneFile(step.Id)}|{Paths.ErrorFile(step.Id)}|{Paths.PlanFile(step.Id)}|{{other}}",
            await File.ReadAllTextAsync(Path.Combine(Root, "prompt")));
    }

    [Fact]
    public async Task SentinelModeInjectsTheDefaultProtocol()
    {
        var step = NewStep("refactor the parser");
        var agent = Agent(new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", "printf '%s' \"$1\" > \"$ORCHESTRA_WORKDIR/prompt\"; echo ok > \"$ORCHESTRA_DONE_FILE\"", "sh", "{prompt}"],
            Completion = CliCompletion.Sentinel,
        });

        var result = await RunAsync(agent, step);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var prompt = await File.ReadAllTextAsync(Path.Combine(Root, "prompt"));
        Assert.StartsWith("refactor the parser\n", prompt, StringComparison.Ordinal);
        Assert.Contains($"create {Paths.DoneFile(step.Id)}", prompt, StringComparison.Ordinal);
        Assert.Contains($"create {Paths.ErrorFile(step.Id)}", prompt, StringComparison.Ordinal);
        Assert.Contains(Paths.PlanFile(step.Id), prompt, StringComparison.Ordinal);
        Assert.Contains("{\"error\": \"what went wrong\", \"transient\": false}", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellationKillsTheWholeTree()
    {
        var pids = Path.Combine(Root, "pids");
        var h = NewHarness();
        using var cts = new CancellationTokenSource();
        // The agent, two children, and a nested shell with a child of its own: five processes, each recording its pid.
        var run = h.InvokeAsync(
            Sh($"echo $$ >> '{pids}'; sleep 1000 & echo $! >> '{pids}'; sleep 1000 & echo $! >> '{pids}'; " +
               $"sh -c \"echo \\$\\$ >> '{pids}'; sleep 1000 & echo \\$! >> '{pids}'; wait\" & wait"),
            cts.Token);
        await h.Handle;
        await WaitUntilAsync(() => File.Exists(pids) && File.ReadAllLines(pids).Length == 5, "the agent to start its children");

        var tree = new List<ProcessIdentity>();
        foreach (var line in await File.ReadAllLinesAsync(pids))
        {
            var pid = int.Parse(line, CultureInfo.InvariantCulture);
            var start = ProcessProbe.StartTime(pid);
            Assert.NotNull(start);
            tree.Add(new ProcessIdentity(pid, start.Value));
            TrackOther(tree[^1]);
        }
        Assert.Equal(5, tree.Count);
        Assert.All(tree, p => Assert.True(ProcessProbe.IsAlive(p)));

        await cts.CancelAsync();
        var result = await run;

        Assert.Equal(AgentOutcome.Cancelled, result.Outcome);
        Assert.True(File.Exists(Paths.CancelledFile(h.Step.Id)));
        await WaitUntilAsync(() => tree.All(IsGone), "every process of the tree to be gone");
    }

    [Fact]
    public async Task TerminateStopsTheTreeEvenIfTheLeaderIgnoresSigterm()
    {
        var h = NewHarness();
        var ready = Path.Combine(Root, "ready");
        var agent = Sh($"trap '' TERM; touch '{ready}'; while :; do sleep 1; done", grace: TimeSpan.FromMilliseconds(100));
        var run = h.InvokeAsync(agent);
        var handle = CliHandle.TryParse(await h.Handle)!;
        await WaitUntilAsync(() => File.Exists(ready), "the agent to ignore SIGTERM");

        await agent.TerminateAsync(await h.Handle);

        Assert.True(IsGone(handle.Process));
        var result = await run;
        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
    }

    [Fact]
    public async Task ProcessOutlivesAnAbandonedInvocationAndReconcileFollowsIt()
    {
        var go = Path.Combine(Root, "go");
        var options = new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", $"while [ ! -f '{go}' ]; do sleep 0.05; done; printf finished > \"$ORCHESTRA_DONE_FILE\""],
        };
        var h = NewHarness();
        var abandoned = h.InvokeAsync(Agent(options));
        var step = h.Step with { Handle = await h.Handle };
        var restarted = Agent(options);

        var found = await restarted.ReconcileAsync(step);
        Assert.Equal(ReconcileStatus.StillRunning, found.Status);

        await File.WriteAllTextAsync(go, "");
        await WaitUntilAsync(async () => (await restarted.ReconcileAsync(step)).Status == ReconcileStatus.Finished, "the sentinel");
        found = await restarted.ReconcileAsync(step);
        Assert.Equal(AgentOutcome.Succeeded, found.Result!.Outcome);
        Assert.Equal("finished", found.Result.Output);

        Assert.Equal(AgentOutcome.Succeeded, (await abandoned).Outcome);
    }

    [Fact]
    public async Task ResumeWaitsForTheRecordedProcess()
    {
        var go = Path.Combine(Root, "go");
        var options = new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", $"while [ ! -f '{go}' ]; do sleep 0.05; done; printf resumed > \"$ORCHESTRA_DONE_FILE\""],
        };
        var first = NewHarness();
        var abandoned = first.InvokeAsync(Agent(options));
        var adopted = NewHarness(first.Step with { Handle = await first.Handle });

        var resume = Agent(options).ResumeAsync(adopted.Context).AsTask();
        await File.WriteAllTextAsync(go, "");
        var result = await resume;

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("resumed", result.Output);
        Assert.Equal(AgentOutcome.Succeeded, (await abandoned).Outcome);
    }

    [Fact]
    public async Task ResumeOfAGoneProcessWithoutSentinelIsTransient()
    {
        var h = NewHarness();
        Assert.Equal(AgentOutcome.Succeeded, (await h.InvokeAsync(Sh("exit 0", CliCompletion.Exit))).Outcome);
        var adopted = NewHarness(h.Step with { Handle = await h.Handle });

        var result = await Sh("exit 0").ResumeAsync(adopted.Context);

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Equal(CliAgent.LostProcessMessage, result.Error);
    }

    [Fact]
    public async Task DeadProcessWithoutSentinelReconcilesToATransientFailure()
    {
        var h = NewHarness();
        var agent = Sh("exit 0", CliCompletion.Exit);
        Assert.Equal(AgentOutcome.Succeeded, (await h.InvokeAsync(agent)).Outcome);

        var found = await agent.ReconcileAsync(h.Step with { Handle = await h.Handle });

        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal(AgentOutcome.TransientFailure, found.Result!.Outcome);
        Assert.Equal(CliAgent.LostProcessMessage, found.Result.Error);
    }

    [Fact]
    public async Task ReconcileWithoutHandleIsNotApplicable()
    {
        var found = await Sh("true").ReconcileAsync(NewStep());

        Assert.Equal(ReconcileStatus.NotApplicable, found.Status);
    }

    [Fact]
    public async Task AProcessTheStoreNeverRecorded_IsFoundThroughTheHandleFileOfItsAttempt()
    {
        var go = Path.Combine(Root, "go");
        var options = new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", $"while [ ! -f '{go}' ]; do sleep 0.05; done; printf finished > \"$ORCHESTRA_DONE_FILE\""],
        };
        using var abandon = new CancellationTokenSource();
        var h = NewHarness(storeNeverAnswers: true);
        var abandoned = h.InvokeAsync(Agent(options), abandon.Token);
        await WaitUntilAsync(() => File.Exists(Paths.HandleFile(h.Step.Id)) && CliHandle.TryParse(File.ReadAllText(Paths.HandleFile(h.Step.Id))) is not null, "the handle file");
        var restarted = Agent(options);

        var found = await restarted.ReconcileAsync(h.Step);
        Assert.Equal(ReconcileStatus.StillRunning, found.Status);
        var handle = Assert.IsType<CliHandle>(CliHandle.TryParse(found.Handle));
        Assert.True(ProcessProbe.IsAlive(handle.Process));
        Assert.Equal(ReconcileStatus.NotApplicable, (await restarted.ReconcileAsync(h.Step with { Attempt = 2 })).Status);

        await File.WriteAllTextAsync(go, "");
        await WaitUntilAsync(() => IsGone(handle.Process), "the agent to finish");
        found = await restarted.ReconcileAsync(h.Step);
        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal("finished", found.Result!.Output);

        await abandon.CancelAsync();
        Assert.Equal(AgentOutcome.Cancelled, (await abandoned).Outcome);
    }

    [Fact]
    public async Task AnAnnouncedAttemptWithoutAPid_IsFoundByTheEnvironmentOfItsProcess()
    {
        // What a worker leaves when it dies between announcing the attempt and writing the pid it started.
        var step = NewStep();
        Directory.CreateDirectory(Paths.StepsDir);
        var log = Path.Combine(Root, "agent.log");
        await File.WriteAllTextAsync(Paths.HandleFile(step.Id), $$"""{"attempt":1,"pid":0,"start":0,"log":"{{log}}","offset":0}""");
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = ["sleep", "1000"],
            Environment = new Dictionary<string, string>
            {
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
                ["ORCHESTRA_STEP_ID"] = step.Id,
                ["ORCHESTRA_ATTEMPT"] = "1",
            },
            WorkingDirectory = Root,
            OutputFile = log,
        });
        var process = Assert.NotNull(launch.Process);
        Track(process);
        var agent = Sh("true", grace: TimeSpan.Zero);

        var found = await agent.ReconcileAsync(step);
        Assert.Equal(ReconcileStatus.StillRunning, found.Status);
        Assert.Equal(process, CliHandle.TryParse(found.Handle)!.Process);

        await agent.TerminateAsync(found.Handle!);
        // Announced, but neither a process nor a sentinel: nothing shows it ever ran.
        Assert.Equal(ReconcileStatus.NotApplicable, (await agent.ReconcileAsync(step)).Status);
        await File.WriteAllTextAsync(Paths.DoneFile(step.Id), "done before the worker came back");
        found = await agent.ReconcileAsync(step);
        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal("done before the worker came back", found.Result!.Output);
    }

    [Fact]
    public async Task ReconcileReadsAnErrorSentinelLeftBehind()
    {
        var h = NewHarness();
        var agent = Sh("""echo '{"error":"quota","transient":true}' > "$ORCHESTRA_ERROR_FILE" """);
        Assert.Equal(AgentOutcome.TransientFailure, (await h.InvokeAsync(agent)).Outcome);

        var found = await agent.ReconcileAsync(h.Step with { Handle = await h.Handle });

        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal(AgentOutcome.TransientFailure, found.Result!.Outcome);
        Assert.Equal("quota", found.Result.Error);
    }

    [Fact]
    public async Task AReusedPidIsNeitherAliveNorSignalled()
    {
        var log = Path.Combine(Root, "sleep.log");
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = ["sleep", "1000"],
            Environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" },
            WorkingDirectory = Root,
            OutputFile = log,
        });
        var process = Assert.NotNull(launch.Process);
        Track(process);
        var impostor = new CliHandle(process.Pid, process.StartTime + 1, log, 0);
        var agent = Sh("true", grace: TimeSpan.Zero);

        Assert.True(ProcessProbe.IsAlive(process));
        Assert.False(ProcessProbe.IsAlive(impostor.Process));
        Assert.False(ProcessGroups.MaySignal(impostor.Process));
        var found = await agent.ReconcileAsync(NewStep() with { Handle = impostor.ToJson() });
        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal(AgentOutcome.TransientFailure, found.Result!.Outcome);

        await agent.TerminateAsync(impostor.ToJson());
        Assert.True(ProcessProbe.IsAlive(process));

        await agent.TerminateAsync(new CliHandle(process.Pid, process.StartTime, log, 0).ToJson());
        Assert.False(ProcessProbe.IsAlive(process));
        Assert.True(ProcessProbe.Read(process.Pid) is not { } s || s.StartTime != process.StartTime);
    }

    [Fact]
    public void UnreadableHandlesAreRejected()
    {
        Assert.Null(CliHandle.TryParse(null));
        Assert.Null(CliHandle.TryParse("not json"));
        Assert.Null(CliHandle.TryParse("""{"pid":1,"start":5}"""));
        Assert.Null(CliHandle.TryParse("""{"pid":"12","start":5}"""));
        var h = CliHandle.TryParse("""{"pid":1234,"start":99,"log":"/x.log","offset":7}""");
        Assert.Equal(new CliHandle(1234, 99, "/x.log", 7), h);
        Assert.Equal(h, CliHandle.TryParse(h!.ToJson()));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessLookupCollection
{
    public const string Name = "process lookups";
}
