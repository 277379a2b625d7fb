using System.Globalization;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>
/// <c>orchestra run pipeline.yaml</c> killed with SIGKILL while its middle node runs: a later <c>orchestra run
/// --until-idle</c> (another process) compiles the recorded file again and finishes the run, running no finished node twice.
/// </summary>
public sealed class PipelineCrashTests : IntegrationTest
{
    private const string Pipeline = """
        name: crash-proof
        inputs:
          topic: { type: string }
        agents:
          first:
            kind: scripted
            task: { text: "first about {{ topic }}" }
          waiter:
            kind: cli
            command: ["/bin/sh", "waiter.sh", "{step_id}"]
            task: { text: "wait" }
          last:
            kind: scripted
            task: { text: "last after {{ outputs.waiter }}" }
        graph:
          edges:
            - { from: START, to: first }
            - { from: first, to: waiter }
            - { from: waiter, to: last }
            - { from: last, to: END }
        """;

    /// <summary>Writes its pid, waits for a "go" file, then reports through the sentinel (it may outlive its orchestrator).</summary>
    private const string WaiterScript = """
        echo "$$" > "$1.pid.tmp" && mv "$1.pid.tmp" "$1.pid"
        i=0
        while [ ! -e go ]; do
          i=$((i + 1))
          if [ "$i" -gt 2400 ]; then exit 3; fi
          sleep 0.05
        done
        printf 'waited in %s' "$1" > "$ORCHESTRA_DONE_FILE"
        """;

    private void Prepare()
    {
        Init();
        Cli.WriteFile("waiter.sh", WaiterScript.ReplaceLineEndings("\n") + "\n");
        Cli.WriteFile("pipeline.yaml", Pipeline);
        // The store exists with its schema before the test reads it while the run writes.
        Ok("status");
    }

    /// <summary>Starts the pipeline, waits until its waiter node runs with a recorded process, kills 'orchestra run' by pid.</summary>
    private async Task<(string RunId, int AgentPid)> StartThenKillAsync()
    {
        using var run = Cli.Start("run", "pipeline.yaml", "--input", "topic=crashes");
        StepRecord? waiter = null;
        await Poll.UntilAsync(
            async () =>
            {
                if (run.HasExited)
                    return true;
                await using var store = StoreView.Open(Cli);
                waiter = (await store.ListStepsAsync(new StepQuery())).FirstOrDefault(s => s.Node == "waiter");
                return waiter is { Status: StepStatus.Running, Handle: not null } && File.Exists(InRoot(waiter.Id + ".pid"));
            },
            Patience,
            () => $"the waiter node to run with a recorded process; {run.Output}");
        Assert.False(run.HasExited, run.Output);
        var pid = Watch.TrackHandle(waiter!.Handle);
        Assert.Equal(pid, int.Parse(File.ReadAllText(InRoot(waiter.Id + ".pid")).Trim(), CultureInfo.InvariantCulture));
        run.Kill();
        Assert.Contains($"run {waiter.RunId} pipeline crash-proof", run.Output, StringComparison.Ordinal);
        return (waiter.RunId, pid);
    }

    private async Task AssertCompletedWithEachNodeRunOnceAsync(string runId)
    {
        var run = Ok("status", runId, "--json").Json();
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        var view = await StoreView.ReadAsync(Cli);
        var steps = view.Steps.Where(s => s.RunId == runId).ToList();
        Assert.Equal(["first", "last", "waiter"], steps.Select(s => s.Node!).Order(StringComparer.Ordinal));
        var started = view.Count(EventTypes.StepStarted);
        foreach (var s in steps)
        {
            Assert.True(s.Status == StepStatus.Succeeded, $"{s.Node}: {s.Status.ToWire()} {s.Error}");
            Assert.True(started.GetValueOrDefault(s.Id) == 1, $"{s.Node} started {started.GetValueOrDefault(s.Id)} times");
            Assert.Single(view.EventsOf(s.Id, EventTypes.StepFinished));
        }
        var waiter = steps.Single(s => s.Node == "waiter");
        Assert.Equal($"waited in {waiter.Id}", waiter.Output);
        Assert.Equal($"last after waited in {waiter.Id}", steps.Single(s => s.Node == "last").Prompt);
    }

    [Fact]
    public async Task RunKilledMidPipeline_IsFinishedByRunUntilIdle_WithoutRunningAFinishedNodeTwice()
    {
        Prepare();
        var (runId, agentPid) = await StartThenKillAsync();
        Assert.False(ProcessWatch.IsDead(agentPid), "the waiter's process died with the orchestrator");
        File.WriteAllText(InRoot("go"), "");

        Ok("run", "--until-idle");

        await AssertCompletedWithEachNodeRunOnceAsync(runId);
        var nodes = Ok("status", runId, "--json").Json()["nodes"]!.AsArray();
        Assert.Equal(["first", "waiter", "last"], nodes.Select(n => n!["node"]!.GetValue<string>()));
        Assert.All(nodes, n => Assert.Equal(1, n!["activations"]!.GetValue<int>()));
    }

    [Fact]
    public async Task RunKilledMidPipeline_WhosFileChanged_IsRefusedUntilTheFileIsRestored()
    {
        Prepare();
        var (runId, _) = await StartThenKillAsync();
        var path = InRoot("pipeline.yaml");
        File.AppendAllText(path, "# edited while the run was down\n");

        var refused = Cli.Run("run", "--until-idle");

        Assert.Equal(2, refused.ExitCode);
        var line = Assert.Single(refused.Err.Trim().Split('\n'));
        Assert.Contains(runId, line, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(path), line, StringComparison.Ordinal);
        Assert.Contains("restore", line, StringComparison.Ordinal);
        Assert.Equal("running", Ok("status", runId, "--json").Json()["status"]!.GetValue<string>());

        File.WriteAllText(path, Pipeline);
        File.WriteAllText(InRoot("go"), "");
        Ok("run", "--until-idle");

        await AssertCompletedWithEachNodeRunOnceAsync(runId);
    }
}
