using Orchestra.Core.Model;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>Timeouts and cancellation stop a cli step's whole process tree, background children included.</summary>
public sealed class ProcessTreeTests : IntegrationTest
{
    /// <summary>Two background grandchildren whose pids go to a file, then waits for them.</summary>
    private const string TreeScript = """
        sleep 997 &
        echo $! >> "$1.pids"
        sleep 997 &
        echo $! >> "$1.pids"
        wait
        """;

    [Fact]
    public async Task Timeout_KillsTheWholeTree()
    {
        Init();
        ShellAgent("tree", "tree.sh", TreeScript);
        var id = Ok("start", "tree", "spawn", "--timeout", "1s").Out.Trim();

        var run = Cli.Run("run", "--until-idle", "--quiet");

        var pids = await TrackTreeAsync(id);
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}: {run.Err}{run.Out}");
        Assert.Equal("timed_out", Ok("status", id, "--json").Json()["status"]!.GetValue<string>());
        await AllDeadAsync(pids);
    }

    [Fact]
    public async Task Cancel_FromAnotherProcess_KillsTheWholeTree()
    {
        Init();
        ShellAgent("tree", "tree.sh", TreeScript);
        var id = Ok("start", "tree", "spawn").Out.Trim();
        using var worker = Cli.Start("worker", "--quiet");
        await using (var store = StoreView.Open(Cli))
        {
            await Poll.UntilAsync(
                async () => worker.HasExited
                    || ((await StoreView.StepAsync(store, id)).Handle is not null
                        && File.Exists(InRoot(id + ".pids")) && File.ReadAllLines(InRoot(id + ".pids")).Length == 2),
                Patience,
                () => $"step {id} to record its process and start its two children; {worker.Output}");
        }
        Assert.False(worker.HasExited, worker.Output);
        var pids = await TrackTreeAsync(id);
        Assert.DoesNotContain(pids, ProcessWatch.IsDead);

        Ok("cancel", id);

        await AllDeadAsync(pids);
        Assert.Equal("cancelled", Ok("status", id, "--json").Json()["status"]!.GetValue<string>());
        Assert.False(worker.HasExited, worker.Output);
    }

    [Fact]
    public void Agent_InheritsNoOpenFileOfTheOrchestrator()
    {
        // A detached agent that kept the orchestrator's descriptors would hold its parent's pipes and locks
        // (a shell's command substitution, a CI log, a flock) open for as long as it runs.
        Init();
        ShellAgent("fds", "fds.sh", """
            if [ -e "/proc/$$/fd/7" ]; then held=$(readlink "/proc/$$/fd/7"); else held=none; fi
            printf 'fd 7: %s' "$held" > "$ORCHESTRA_DONE_FILE"
            """);
        var id = Ok("start", "fds", "look").Out.Trim();
        Cli.WriteFile("held-by-the-orchestrator", "");

        // The shell opens fd 7 without close-on-exec, then becomes orchestra, which inherits it.
        var run = Cli.RunWrapped(["/bin/sh", "-c", "exec 7<\"$0\" && exec \"$@\"", InRoot("held-by-the-orchestrator")], "run", "--until-idle", "--quiet");

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Err}{run.Out}");
        Assert.Equal("fd 7: none", Ok("status", id, "--json").Json()["output"]!.GetValue<string>());
    }

    /// <summary>The step's process and the children it listed, tracked for cleanup.</summary>
    private async Task<IReadOnlyList<int>> TrackTreeAsync(string id)
    {
        StepRecord step;
        await using (var store = StoreView.Open(Cli))
            step = await StoreView.StepAsync(store, id);
        var pids = new List<int> { Watch.TrackHandle(step.Handle) };
        pids.AddRange(Watch.TrackPidFile(InRoot(id + ".pids")));
        Assert.Equal(3, pids.Count);
        return pids;
    }

    private static Task AllDeadAsync(IReadOnlyList<int> pids) =>
        Poll.UntilAsync(() => pids.All(ProcessWatch.IsDead), Patience, () => $"processes {string.Join(", ", pids.Where(p => !ProcessWatch.IsDead(p)))} to die");
}
