using System.Text.Json.Nodes;

namespace Orchestra.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private static void AssertUsageError(CliResult r, string expected)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void Init_CreatesTheWorkspaceAndIsIdempotent()
    {
        var first = Ok("init");
        Assert.Contains("created .orchestra/config.yaml", first.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_cli.StateDir, "agents", "coder.yaml")));
        var second = Ok("init");
        Assert.Contains("already initialised", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_PrintsOnlyTheIdAndRunExecutesIt()
    {
        Ok("init");
        var id = Ok("start", "coder", "fix the flaky test").Out.Trim();
        Assert.Matches("^s[0-9a-z]{12}$", id);

        var run = Ok("run", "--until-idle");
        Assert.Contains(id, run.Out, StringComparison.Ordinal);

        var step = Ok("status", id, "--json").Json();
        Assert.Equal("succeeded", step["status"]!.GetValue<string>());
        Assert.Equal("Found the race in the retry test and made it deterministic.", step["output"]!.GetValue<string>());
        Assert.Equal(1550, step["usage"]!["input_tokens"]!.GetValue<long>() + step["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public void StatusJson_HasTheDocumentedFields()
    {
        Ok("init");
        var first = Ok("start", "coder", "a").Out.Trim();
        var second = Ok("start", "reviewer", "b", "--after", first, "--priority", "5", "--timeout", "20m", "--max-attempts", "3").Out.Trim();

        var steps = Ok("status", "--json").Json().AsArray();

        Assert.Equal(2, steps.Count);
        var s = steps.Single(n => n!["id"]!.GetValue<string>() == second)!;
        foreach (var field in new[] { "id", "run", "agent", "status", "attempts", "depends_on", "started_at", "finished_at", "usage" })
            Assert.True(s.AsObject().ContainsKey(field), field);
        Assert.Equal("pending", s["status"]!.GetValue<string>());
        Assert.Equal(first, s["depends_on"]![0]!.GetValue<string>());
        Assert.Equal(3, s["max_attempts"]!.GetValue<int>());
        Assert.Equal(1_200_000, s["timeout_ms"]!.GetValue<long>());
    }

    [Fact]
    public void Submit_RunsAPlanInDependencyOrder()
    {
        Ok("init");
        _cli.WriteFile("plan.yaml", """
            tasks:
              - { id: build, agent: coder, prompt: build it }
              - { id: test, agent: reviewer, prompt: test it, depends_on: [build] }
              - { id: ship, agent: echo, prompt: shipped, depends_on: [test] }
            """);
        var runId = Ok("submit", "plan.yaml").Out.Trim();
        Assert.Matches("^r[0-9a-z]{12}$", runId);

        Ok("run", "--until-idle");

        var run = Ok("status", runId, "--json").Json();
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        var steps = run["steps"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["build", "test", "ship"], steps);
    }

    [Fact]
    public void Run_ExitsWithOneWhenAStepFails()
    {
        Ok("init");
        _cli.WriteFile(".orchestra/agents/broken.yaml", "kind: scripted\nresponses:\n  - fail: permanent\n    error: boom\n");
        Ok("start", "broken", "x");
        var run = _cli.Run("run", "--until-idle");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("boom", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void IdempotencyKey_CreatesOneStepAndRefusesADifferentPayload()
    {
        Ok("init");
        var a = Ok("start", "coder", "same", "--idempotency-key", "k1").Out.Trim();
        var b = Ok("start", "coder", "same", "--idempotency-key", "k1").Out.Trim();
        Assert.Equal(a, b);
        AssertUsageError(_cli.Run("start", "coder", "different", "--idempotency-key", "k1"), "Idempotency key 'k1' was already used");
        Assert.Single(Ok("status", "--json").Json().AsArray());
    }

    [Fact]
    public void CancelRetryAndTimeout_ControlAStep()
    {
        Ok("init");
        var id = Ok("start", "coder", "x").Out.Trim();
        Ok("timeout", id, "30m");
        Assert.Equal(1_800_000, Ok("status", id, "--json").Json()["timeout_ms"]!.GetValue<long>());
        Ok("cancel", id);
        Assert.Equal("cancelled", Ok("status", id, "--json").Json()["status"]!.GetValue<string>());
        AssertUsageError(_cli.Run("cancel", id), "already cancelled");
        Ok("retry", id);
        Ok("run", "--until-idle");
        Assert.Equal("succeeded", Ok("status", id, "--json").Json()["status"]!.GetValue<string>());
    }

    [Fact]
    public void UniqueIdPrefix_Resolves()
    {
        Ok("init");
        var id = Ok("start", "coder", "x").Out.Trim();
        Assert.Equal(id, Ok("status", id[..12], "--json").Json()["id"]!.GetValue<string>());
    }

    [Fact]
    public void Clean_RemovesFinishedRuns()
    {
        Ok("init");
        Ok("start", "echo", "hello");
        Ok("run", "--until-idle");
        Assert.Contains("removed 1 runs", Ok("clean", "--older-than", "0s").Out, StringComparison.Ordinal);
        Assert.Empty(Ok("status", "--json").Json().AsArray());
    }

    [Fact]
    public void AgentListAndShow_DescribeTheAgents()
    {
        Ok("init");
        var list = Ok("agent", "list").Out;
        Assert.Contains("coder", list, StringComparison.Ordinal);
        Assert.Contains("scripted", list, StringComparison.Ordinal);
        Assert.Contains("kind: scripted", Ok("agent", "show", "coder").Out, StringComparison.Ordinal);
        AssertUsageError(_cli.Run("agent", "show", "nobody"), "Unknown agent 'nobody'. Known agents: coder, echo, reviewer.");
    }

    [Fact]
    public void Logs_ShowACliStepsOutput()
    {
        Ok("init");
        var id = Ok("start", "echo", "hello from a process").Out.Trim();
        Ok("run", "--until-idle");
        Assert.Contains("hello from a process", Ok("logs", id).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void StoreOption_UsesAnotherFile()
    {
        Ok("init");
        var store = Path.Combine(_cli.Root, "other.db");
        Ok("--store", store, "start", "coder", "x");
        Assert.True(File.Exists(store));
        Assert.Single(Ok("--store", store, "status", "--json").Json().AsArray());
        Assert.Empty(Ok("status", "--json").Json().AsArray());
    }

    [Fact]
    public void Demo_RunsTheReleasePlanOffline()
    {
        var dir = Path.Combine(_cli.Root, "demo");
        var r = Ok("demo", "release-plan", "--dir", dir);
        Assert.Contains("completed", r.Out, StringComparison.Ordinal);
        Assert.Contains("retrying", r.Out, StringComparison.Ordinal);
        Assert.Contains("CHANGELOG", File.ReadAllText(Directory.GetFiles(Path.Combine(dir, ".orchestra", "logs"), "s*.log").Single()), StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_RunsThePrReviewPipelineOfflineFromItsCassette_WithTheCriticLoopingOnce()
    {
        var dir = Path.Combine(_cli.Root, "demo");
        // No key and no user configuration: everything the LLM agents answer comes from the cassette.
        _cli.Environment["OPENAI_API_KEY"] = "";
        _cli.Environment["ORCHESTRA_CONFIG_DIR"] = Path.Combine(_cli.Root, "no-user-config");

        var r = Ok("demo", "--dir", dir);

        Assert.Contains("pr-review completed", r.Out, StringComparison.Ordinal);
        Assert.Contains("replayed 8 of 8 provider exchange(s)", r.Err, StringComparison.Ordinal);
        var review = File.ReadAllText(Path.Combine(dir, "review.md"));
        Assert.Contains("SQL injection", review, StringComparison.Ordinal);
        Assert.Contains(review.Trim(), r.Out, StringComparison.Ordinal);
        var runId = r.Out.Split('\n').First(l => l.StartsWith("run r", StringComparison.Ordinal)).Split(' ')[1];
        var nodes = RunIn(dir, "status", runId, "--json").Json()["nodes"]!.AsArray()
            .ToDictionary(n => n!["node"]!.GetValue<string>(), n => n!["activations"]!.GetValue<int>());
        Assert.Equal(new Dictionary<string, int> { ["diff"] = 1, ["security"] = 2, ["architecture"] = 2, ["critic"] = 2, ["synthesizer"] = 1 }, nodes);
    }

    private CliResult RunIn(string dir, params string[] args)
    {
        var r = _cli.RunIn(dir, null, args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    [Fact]
    public void Watch_WithoutATerminal_PrintsPlainLinesAndStopsWhenIdle()
    {
        Ok("init");
        var id = Ok("start", "reviewer", "x").Out.Trim();
        Ok("run", "--until-idle");
        var watch = Ok("watch", "--until-idle", "--interval", "100ms");
        Assert.Contains($"✓ {id} reviewer (reviewer) succeeded", watch.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", watch.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Debug_WritesADiagnosticLog()
    {
        Ok("init");
        Ok("--debug", "start", "coder", "x");
        var log = File.ReadAllText(Path.Combine(_cli.StateDir, "logs", "orchestra.log"));
        Assert.Contains("command: start", log, StringComparison.Ordinal);
        Assert.DoesNotContain("coder x", log, StringComparison.Ordinal);
    }
}
