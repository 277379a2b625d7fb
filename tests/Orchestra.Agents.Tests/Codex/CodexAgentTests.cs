using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>
/// The codex agent against stand-in scripts that print recorded Codex JSONL: how it starts the CLI (flags, standard
/// input, its own Codex home), and how exits, errors, hangs and cancellation end a step. No Codex CLI needed.
/// </summary>
[Collection(Orchestra.Agents.Tests.Cli.ProcessLookupCollection.Name)]
public sealed class CodexAgentTests : CodexTestBase
{
    private const string Thread = "01a20217-c1c8-73e1-ae59-e967e08e0577";

    private static string Turn(string message) =>
        $$$"""
        {"type":"thread.started","thread_id":"{{{Thread}}}"}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":{{{JsonValue.Create(message).ToJsonString()}}}}}
        {"type":"turn.completed","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":8}}
        """;

    /// <summary>A stand-in CLI: records its arguments, standard input and CODEX_HOME, prints <paramref name="output"/>, exits with <paramref name="code"/>.</summary>
    private CodexAgentOptions StandIn(string output, int code = 0, string extra = "")
    {
        File.WriteAllText(Path.Combine(Root, "fixture.jsonl"), output.Length == 0 ? "" : output + "\n");
        return new()
        {
            Executable = Script("fake-codex", $$"""
                printf '%s\n' "$@" > "$ORCHESTRA_WORKDIR/argv.txt"
                cat > "$ORCHESTRA_WORKDIR/stdin.txt"
                printf '%s' "$CODEX_HOME" > "$ORCHESTRA_WORKDIR/home.txt"
                {{extra}}
                cat "$ORCHESTRA_WORKDIR/fixture.jsonl"
                exit {{code}}
                """),
            UserConfig = false,
            GracePeriod = TimeSpan.FromSeconds(2),
        };
    }

    [Fact]
    public async Task Run_PassesOptionsAsFlags_ThePromptOnStandardInput_AndItsOwnCodexHome()
    {
        var options = StandIn(Turn("""{"answer": 42}""")) with
        {
            Model = "gpt-4.1-mini",
            Sandbox = CodexSandbox.ReadOnly,
            SkipGitRepoCheck = true,
            Config = ["model_reasoning_effort=\"high\""],
            BaseUrl = "http://127.0.0.1:9/v1",
            ApiKeyEnv = "MY_KEY",
            OutputSchema = JsonNode.Parse("""{"type":"object","properties":{"answer":{"type":"integer"}},"required":["answer"]}""")!.AsObject(),
        };
        var run = new Run(this, NewStep("--looks like a flag\nsecond line"));

        var result = await run.InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var home = CodexHome.For(Paths, run.Step.Id);
        Assert.Equal(
            ["exec", "--json", "--skip-git-repo-check", "--model", "gpt-4.1-mini", "--sandbox", "read-only",
             "--output-schema", CodexHome.SchemaFile(home), "-c", "model_provider=\"orchestra\"", "-c", "model_reasoning_effort=\"high\"", "-"],
            File.ReadAllLines(Path.Combine(Root, "argv.txt")));
        Assert.Equal("--looks like a flag\nsecond line", File.ReadAllText(Path.Combine(Root, "stdin.txt")));
        Assert.Equal(home, File.ReadAllText(Path.Combine(Root, "home.txt")));
        var config = File.ReadAllText(Path.Combine(home, "config.toml"));
        Assert.Contains("[model_providers.orchestra]", config, StringComparison.Ordinal);
        Assert.Contains("base_url = \"http://127.0.0.1:9/v1\"", config, StringComparison.Ordinal);
        Assert.Contains("wire_api = \"responses\"", config, StringComparison.Ordinal);
        Assert.Contains("env_key = \"MY_KEY\"", config, StringComparison.Ordinal);
        Assert.Equal("answer", (string?)JsonNode.Parse(File.ReadAllText(CodexHome.SchemaFile(home)))!["required"]![0]);
        Assert.Equal(42, (int?)result.Data!["answer"]);
        Assert.Equal("""{"answer": 42}""", result.Output);
        Assert.Equal(120, result.Usage.InputTokens);
        Assert.Equal(20, result.Usage.CachedTokens);
        Assert.Equal(8, result.Usage.OutputTokens);
        Assert.True(result.Usage.CostUsd > 0m, "gpt-4.1-mini has a built-in price");
        Assert.Contains(run.Events, e => e.Kind == "process.started");
        Assert.Contains(run.Events, e => e.Kind == "session.started" && (string?)e.Data!["thread_id"] == Thread);
    }

    [Fact]
    public async Task AStepsModelInput_OverridesTheAgentsModel()
    {
        var run = new Run(this, NewStep("hi", new JsonObject { ["model"] = "o4-mini" }));

        await run.InvokeAsync(Codex(StandIn(Turn("ok")) with { Model = "gpt-4.1" }));

        var argv = File.ReadAllLines(Path.Combine(Root, "argv.txt"));
        Assert.Equal("o4-mini", argv[Array.IndexOf(argv, "--model") + 1]);
    }

    [Fact]
    public async Task AFinalMessageThatDoesNotMatchTheSchema_IsAPermanentFailure()
    {
        var options = StandIn(Turn("no json here")) with
        {
            OutputSchema = JsonNode.Parse("""{"type":"object","required":["answer"]}""")!.AsObject(),
        };

        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("does not match its output_schema", result.Error, StringComparison.Ordinal);
        Assert.Equal(120, result.Usage.InputTokens);
    }

    [Fact]
    public async Task AFailedTurn_IsClassified()
    {
        var options = StandIn(
            """
            {"type":"thread.started","thread_id":"t"}
            {"type":"turn.started"}
            {"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests, request id: r"}
            {"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests, request id: r"}}
            """, code: 1);

        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Equal("agent 'coder': codex: exceeded retry limit, last status: 429 Too Many Requests, request id: r", result.Error);
    }

    [Fact]
    public async Task ANonZeroExitWithoutEvents_ReportsTheErrorLineOfStandardError()
    {
        var options = StandIn("", code: 1, extra: """
            echo 'WARNING: something harmless' >&2
            echo 'Error: unknown variant `fast`, expected one of `read-only`' >&2
            echo 'Stack backtrace:' >&2
            echo '   0: <unknown>' >&2
            """);

        var step = NewStep("x");

        var result = await new Run(this, step).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("agent 'coder': codex: Error: unknown variant `fast`, expected one of `read-only`", result.Error);
        // Standard error has a log of its own: nothing there can split a JSONL line.
        Assert.Contains("Error: unknown variant", File.ReadAllText(CodexAgent.ErrorLogFile(Paths, step.Id)), StringComparison.Ordinal);
        Assert.DoesNotContain("Error: unknown variant", File.ReadAllText(Paths.LogFile(step.Id)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExitingWithoutFinishingTheTurn_IsAPermanentFailure()
    {
        var options = StandIn("""{"type":"thread.started","thread_id":"t"}""");

        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("exited without finishing its turn", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACliKilledByASignal_IsATransientFailure()
    {
        var options = StandIn("", extra: "kill -KILL $$");

        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains("killed by signal 9", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingCli_IsAPermanentFailure_ThatSaysHowToInstallIt()
    {
        var options = new CodexAgentOptions { Executable = "codex-not-installed-here", UserConfig = false };

        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal(
            "agent 'coder': the Codex CLI 'codex-not-installed-here' was not found: install it with `npm install -g @openai/codex` or set `executable:` in .orchestra/agents/coder.yaml",
            result.Error);
    }

    [Fact]
    public async Task TheWatchdog_StopsACliThatWritesNothing_AsATransientFailure()
    {
        var options = StandIn("""{"type":"thread.started","thread_id":"t"}""", extra: "cat \"$ORCHESTRA_WORKDIR/fixture.jsonl\"; sleep 600 & wait") with
        {
            IdleTimeout = TimeSpan.FromSeconds(1),
        };
        var run = new Run(this, NewStep("x"));

        var result = await run.InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains("codex wrote nothing for 1.0s and was stopped", result.Error, StringComparison.Ordinal);
        var handle = await run.Handle;
        Assert.Empty(ProcessProbe.LiveGroupMembers(handle.Pid));
    }

    [Fact]
    public async Task Cancellation_StopsTheWholeProcessTree()
    {
        var options = StandIn("", extra: "sleep 600 & echo started > \"$ORCHESTRA_WORKDIR/started\"; wait");
        var run = new Run(this, NewStep("x"));
        using var cts = new CancellationTokenSource();

        var invocation = run.InvokeAsync(Codex(options), cts.Token);
        var handle = await run.Handle;
        await WaitUntilAsync(() => File.Exists(Path.Combine(Root, "started")), "the stand-in started its child");
        Assert.True(ProcessProbe.LiveGroupMembers(handle.Pid).Count >= 2);
        await cts.CancelAsync();
        var result = await invocation;

        Assert.Equal(AgentOutcome.Cancelled, result.Outcome);
        Assert.Empty(ProcessProbe.LiveGroupMembers(handle.Pid));
    }

    [Fact]
    public async Task ASession_ResumesTheThreadOfItsLastTurn_FromThatStepsCodexHome()
    {
        // The stand-in records its thread the way Codex does, in CODEX_HOME/sessions/.
        var rollout = $"mkdir -p \"$CODEX_HOME/sessions/2026/01/02\"; echo '{{}}' >> \"$CODEX_HOME/sessions/2026/01/02/rollout-2026-01-02T00-00-00-{Thread}.jsonl\"";
        var options = StandIn(Turn("first answer"), extra: rollout);
        var agent = Codex(options);
        var first = new Run(this, NewStep("remember 7", new JsonObject { ["session"] = "chat" }));

        var one = await first.InvokeAsync(agent);

        Assert.Equal(AgentOutcome.Succeeded, one.Outcome);
        Assert.NotNull(one.Session);
        Assert.Equal(1, one.Session.Turns);
        Assert.Equal("coder", one.Session.Agent);
        Assert.DoesNotContain("resume", File.ReadAllLines(Path.Combine(Root, "argv.txt")));

        var second = new Run(this, NewStep("what was it?", new JsonObject { ["session"] = "chat" }), one.Session);
        var two = await second.InvokeAsync(agent);

        Assert.Equal(AgentOutcome.Succeeded, two.Outcome);
        var argv = File.ReadAllLines(Path.Combine(Root, "argv.txt"));
        Assert.Equal(["resume", Thread, "-"], argv[^3..]);
        Assert.NotNull(CodexHome.FindRollout(CodexHome.For(Paths, second.Step.Id), Thread));
        Assert.Equal(2, two.Session!.Turns);
        Assert.Equal(240, two.Session.Usage.InputTokens);
        Assert.Equal(second.Step.Id, (string?)two.Session.Messages[^1]!["step"]);
    }

    [Fact]
    public async Task ASessionWhoseThreadIsGone_IsAPermanentFailure_ThatSaysWhatToDo()
    {
        var gone = new SessionRecord
        {
            Id = "chat",
            Agent = "coder",
            Messages = [new JsonObject { ["thread_id"] = Thread, ["step"] = NewStep("old").Id }],
            Turns = 1,
        };

        var result = await new Run(this, NewStep("again", new JsonObject { ["session"] = "chat" }), gone).InvokeAsync(Codex(StandIn(Turn("x"))));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains($"the Codex thread {Thread} is no longer in", result.Error, StringComparison.Ordinal);
        Assert.Contains("continue under a new session name", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASessionWithAnotherAgent_IsRefused()
    {
        var other = new SessionRecord { Id = "chat", Agent = "assistant" };

        var result = await new Run(this, NewStep("again", new JsonObject { ["session"] = "chat" }), other).InvokeAsync(Codex(StandIn(Turn("x"))));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal("session 'chat' is a conversation with agent 'assistant', not 'coder': use another session name", result.Error);
    }

    [Fact]
    public async Task AProfileThatDoesNotExist_IsAPermanentFailure()
    {
        var result = await new Run(this, NewStep("x")).InvokeAsync(Codex(StandIn(Turn("x")) with { Profile = "fast" }));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("Codex profile 'fast' was not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheUsersCodexHome_SeedsTheStepsHome_WhenUserConfigIsOn()
    {
        var user = Path.Combine(Root, "user-codex");
        Directory.CreateDirectory(user);
        File.WriteAllText(Path.Combine(user, "config.toml"), "model = \"gpt-4.1\"\n");
        File.WriteAllText(Path.Combine(user, "fast.config.toml"), "model_reasoning_effort = \"low\"\n");
        File.WriteAllText(Path.Combine(user, "auth.json"), "{}");
        var options = StandIn(Turn("x")) with
        {
            UserConfig = true,
            Profile = "fast",
            BaseUrl = "http://127.0.0.1:9/v1",
        };
        options = options with { Env = new Dictionary<string, string>(options.Env) { ["CODEX_HOME"] = user } };
        var run = new Run(this, NewStep("x"));

        var result = await run.InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var home = CodexHome.For(Paths, run.Step.Id);
        Assert.Equal(home, File.ReadAllText(Path.Combine(Root, "home.txt")));
        var config = File.ReadAllText(Path.Combine(home, "config.toml"));
        Assert.StartsWith("model = \"gpt-4.1\"\n", config, StringComparison.Ordinal);
        Assert.Contains("[model_providers.orchestra]", config, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home, "fast.config.toml")));
        Assert.Equal(Path.Combine(user, "auth.json"), new FileInfo(Path.Combine(home, "auth.json")).LinkTarget);
        Assert.Contains("--profile", File.ReadAllLines(Path.Combine(Root, "argv.txt")));
    }

    [Fact]
    public async Task ARunStartedByAnotherWorker_IsFoundStillRunning_AndResumedFromItsLog()
    {
        var step = NewStep("x");
        Directory.CreateDirectory(Paths.LogsDir);
        var log = Paths.LogFile(step.Id);
        File.WriteAllText(log, "--- started by a worker that is gone ---\n");
        var offset = new FileInfo(log).Length;
        var go = Path.Combine(Root, "go");
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = ["/bin/sh", "-c", $$$"""
                echo '{"type":"thread.started","thread_id":"{{{Thread}}}"}'
                echo '{"type":"turn.started"}'
                while [ ! -e "{{{go}}}" ]; do sleep 0.05; done
                echo '{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"done late"}}'
                echo '{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":0,"output_tokens":2}}'
                """],
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            WorkingDirectory = Root,
            OutputFile = log,
        });
        var process = launch.Process!.Value;
        Track(process);
        step = step with { Handle = new CliHandle(process.Pid, process.StartTime, log, offset).ToJson() };
        await WaitUntilAsync(() => File.ReadAllText(log).Contains("turn.started", StringComparison.Ordinal), "the first events are in the log");
        var agent = Codex(new CodexAgentOptions { UserConfig = false });

        var found = await agent.ReconcileAsync(step);
        var run = new Run(this, step);
        var resuming = agent.ResumeAsync(run.Context).AsTask();
        File.WriteAllText(go, "");
        var result = await resuming.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(ReconcileStatus.StillRunning, found.Status);
        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("done late", result.Output);
        Assert.Equal(5, result.Usage.InputTokens);
        // What the first worker already reported is not reported twice.
        Assert.Equal(["message", "usage"], run.Events.Select(e => e.Kind));
        Assert.True(IsGone(process));
    }

    [Fact]
    public async Task Reconcile_ReadsTheLogOfADeadProcess()
    {
        var step = NewStep("x");
        Directory.CreateDirectory(Paths.LogsDir);
        var log = Paths.LogFile(step.Id);
        File.WriteAllText(log, "--- an earlier attempt ---\n");
        var offset = new FileInfo(log).Length;
        File.AppendAllText(log, Turn("finished while nobody watched") + "\n");
        // A pid that is no process: the CLI is gone.
        var dead = new CliHandle(int.MaxValue - 1, 1, log, offset);

        var found = await Codex(new CodexAgentOptions { UserConfig = false }).ReconcileAsync(step with { Handle = dead.ToJson() });
        var lost = await Codex(new CodexAgentOptions { UserConfig = false }).ReconcileAsync(step with { Handle = (dead with { Offset = new FileInfo(log).Length }).ToJson() });

        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal(AgentOutcome.Succeeded, found.Result!.Outcome);
        Assert.Equal("finished while nobody watched", found.Result.Output);
        Assert.Equal(AgentOutcome.TransientFailure, lost.Result!.Outcome);
        Assert.Contains(CodexAgent.LostProcessMessage, lost.Result.Error, StringComparison.Ordinal);
    }

    /// <summary>A FIFO the stand-in blocks on until the test writes a line: it releases the CLI without sleeping.</summary>
    private string Fifo(string name)
    {
        var path = Path.Combine(Root, name);
        using var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo") { ArgumentList = { path } })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    [Fact]
    public async Task ACodexWhoseHandleTheStoreNeverRecorded_IsFoundThroughItsHandleFile_AndFollowedToItsEnd()
    {
        var go = Fifo("go");
        var options = StandIn(Turn("finished while its worker was gone"), extra: $"read -r _ < '{go}'");
        var step = NewStep("x");
        var recording = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new AgentContext(step, new JsonObject(), Root, TimeProvider.System,
            setHandle: async (h, ct) =>
            {
                Track(CliHandle.TryParse(h)!.Process);
                recording.TrySetResult();
                // The store never answers: from here on the worker is as good as dead.
                await Task.Delay(Timeout.Infinite, ct);
            });
        using var abandon = new CancellationTokenSource();
        var abandoned = Codex(options).InvokeAsync(context, abandon.Token).AsTask();
        await recording.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var restarted = Codex(options);

        var found = await restarted.ReconcileAsync(step);

        Assert.Equal(ReconcileStatus.StillRunning, found.Status);
        var handle = Assert.IsType<CliHandle>(CliHandle.TryParse(found.Handle));
        Assert.True(ProcessProbe.IsAlive(handle.Process));
        Assert.Equal(ReconcileStatus.NotApplicable, (await restarted.ReconcileAsync(step with { Attempt = 2 })).Status);
        var run = new Run(this, step with { Handle = found.Handle });
        var resuming = restarted.ResumeAsync(run.Context).AsTask();
        await File.WriteAllTextAsync(go, "go\n");
        var result = await resuming.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("finished while its worker was gone", result.Output);
        Assert.True(IsGone(handle.Process));

        await abandon.CancelAsync();
        Assert.Equal(AgentOutcome.Cancelled, (await abandoned).Outcome);
    }

    [Fact]
    public async Task AnAttemptAnnouncedWithoutAPid_IsFoundByTheEnvironmentOfItsCodex_OrSettledFromItsLog()
    {
        // What a worker leaves when it dies after announcing the attempt and before writing the pid it started.
        var step = NewStep("x");
        Directory.CreateDirectory(Paths.LogsDir);
        Directory.CreateDirectory(Paths.StepsDir);
        var log = Paths.LogFile(step.Id);
        File.WriteAllText(log, "--- an earlier attempt ---\n");
        var offset = new FileInfo(log).Length;
        File.WriteAllText(Paths.HandleFile(step.Id), $$"""{"attempt":1,"pid":0,"start":0,"log":"{{log}}","offset":{{offset}},"error_offset":0}""");
        var agent = Codex(new CodexAgentOptions { UserConfig = false, GracePeriod = TimeSpan.FromSeconds(1) });
        // Announced, but no process and nothing in the log: nothing shows it ever ran.
        Assert.Equal(ReconcileStatus.NotApplicable, (await agent.ReconcileAsync(step)).Status);
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
        // The launcher returns once the child exists; the environment it is found by is there once it runs its program.
        await WaitUntilAsync(() => File.ReadAllText($"/proc/{process.Pid}/environ").Contains($"ORCHESTRA_STEP_ID={step.Id}", StringComparison.Ordinal), "the process runs its program");

        var found = await agent.ReconcileAsync(step);

        Assert.Equal(ReconcileStatus.StillRunning, found.Status);
        Assert.Equal(process, CliHandle.TryParse(found.Handle)!.Process);
        Assert.Equal(offset, CliHandle.TryParse(found.Handle)!.Offset);
        Assert.Contains("\"error_offset\":0", found.Handle, StringComparison.Ordinal);
        await agent.TerminateAsync(found.Handle!);
        File.AppendAllText(log, Turn("finished before the worker came back") + "\n");
        found = await agent.ReconcileAsync(step);
        Assert.Equal(ReconcileStatus.Finished, found.Status);
        Assert.Equal("finished before the worker came back", found.Result!.Output);
    }

    [Fact]
    public async Task TheHandleFileNamesTheAttemptAndItsProcess_BeforeTheStoreIsAsked()
    {
        var step = NewStep("x");
        string? onDisk = null;
        var context = new AgentContext(step, new JsonObject(), Root, TimeProvider.System,
            setHandle: (h, _) =>
            {
                Track(CliHandle.TryParse(h)!.Process);
                onDisk = File.ReadAllText(Paths.HandleFile(step.Id));
                return ValueTask.CompletedTask;
            });

        var result = await Codex(StandIn(Turn("ok"))).InvokeAsync(context);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        var file = JsonNode.Parse(onDisk!)!;
        Assert.Equal(1, (int)file["attempt"]!);
        Assert.True((int)file["pid"]! > 1);
        Assert.Equal(Paths.LogFile(step.Id), (string?)file["log"]);
        Assert.NotNull(file["error_offset"]);
    }
}
