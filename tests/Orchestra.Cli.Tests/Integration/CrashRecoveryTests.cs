using System.Globalization;
using System.Text;
using Orchestra.Agents.Cli;
using Orchestra.Core.Model;
using Xunit.Abstractions;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>Workers killed with SIGKILL at arbitrary moments: nothing is lost, nothing runs twice per kill.</summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IntegrationTest
{
    /// <summary>Waits for a "go" file, then reports through the sentinel. Writes its pid first.</summary>
    private const string WaiterScript = """
        echo "$$" > "$1.pid.tmp" && mv "$1.pid.tmp" "$1.pid"
        i=0
        while [ ! -e go ]; do
          i=$((i + 1))
          if [ "$i" -gt 2400 ]; then exit 3; fi
          sleep 0.05
        done
        printf 'finished %s attempt %s' "$1" "$ORCHESTRA_ATTEMPT" > "$ORCHESTRA_DONE_FILE"
        """;

    [Fact]
    public async Task Worker_KilledTwentyTimes_LosesNoStepAndRunsNoneTwicePerKill()
    {
        const int Tasks = 1000, Kills = 20, Parallel = 8;
        Init();
        ScriptedAgent("quick", "10ms");
        Cli.WriteFile("plan.yaml", CrashPlan(Tasks));
        Ok("submit", "plan.yaml");

        await KillWorkerRepeatedlyAsync(Tasks, Kills, Parallel, seed: 20_260_517, maxProgress: 60);

        Ok("run", "--until-idle", "--parallel", Parallel.ToString(CultureInfo.InvariantCulture), "--quiet");

        var view = await StoreView.ReadAsync(Cli);
        Assert.Equal(Tasks, view.Steps.Count);
        var started = view.Count(EventTypes.StepStarted);
        var finished = view.Count(EventTypes.StepFinished);
        var problems = new StringBuilder();
        foreach (var s in view.Steps)
        {
            var problem = s.Status != StepStatus.Succeeded ? $"status {s.Status.ToWire()} ({s.Error})"
                : s.LeaseOwner is not null || s.LeaseExpiresAt is not null ? $"still leased to {s.LeaseOwner}"
                : finished.GetValueOrDefault(s.Id) != 1 ? $"{finished.GetValueOrDefault(s.Id)} step.finished events"
                : started.GetValueOrDefault(s.Id) != s.Attempt ? $"{started.GetValueOrDefault(s.Id)} step.started events for {s.Attempt} attempts"
                : s.Attempt > 1 + Kills ? $"{s.Attempt} attempts"
                : null;
            if (problem is not null)
                problems.Append(CultureInfo.InvariantCulture, $"{s.Name} {s.Id}: {problem}\n");
        }
        Assert.True(problems.Length == 0, problems.ToString());
        var extra = view.Steps.Sum(s => s.Attempt - 1);
        output.WriteLine($"{extra} attempts beyond the first after {Kills} kills; most attempts of a step: {view.Steps.Max(s => s.Attempt)}");
        Assert.True(extra > 0, "no kill caught a step in flight, so nothing was recovered");
        Assert.True(extra <= Kills * Parallel, $"{extra} attempts beyond the first, more than {Kills} kills × {Parallel} steps in flight");
    }

    [Fact]
    public async Task WorkerRunningCliAgents_KilledEightTimes_StartsEachStepsProcessExactlyOnce()
    {
        const int Tasks = 80, Kills = 8, Parallel = 8;
        Init();
        ShellAgent("proc", "proc.sh", """
            echo "$ORCHESTRA_ATTEMPT" >> "runs/$1"
            sleep 0.2
            printf 'done %s attempt %s' "$1" "$ORCHESTRA_ATTEMPT" > "$ORCHESTRA_DONE_FILE"
            """);
        Directory.CreateDirectory(InRoot("runs"));
        Cli.WriteFile("plan.yaml", IndependentPlan(Tasks, "proc").Replace(" }", ", max_attempts: 30 }", StringComparison.Ordinal));
        Ok("submit", "plan.yaml");

        await KillWorkerRepeatedlyAsync(Tasks, Kills, Parallel, seed: 80_808, maxProgress: 10);

        Ok("run", "--until-idle", "--parallel", Parallel.ToString(CultureInfo.InvariantCulture), "--quiet");

        var view = await StoreView.ReadAsync(Cli);
        Assert.Equal(Tasks, view.Steps.Count);
        var started = view.Count(EventTypes.StepStarted);
        var finished = view.Count(EventTypes.StepFinished);
        var problems = new StringBuilder();
        foreach (var s in view.Steps)
        {
            var runsFile = InRoot(Path.Combine("runs", s.Id));
            var runs = File.Exists(runsFile) ? File.ReadAllLines(runsFile) : [];
            // Killed workers leave their processes running: they are adopted or finished from their sentinels, never
            // started again. Only an attempt lost before its process started is retried, so exactly one process ran.
            var expected = new[] { s.Attempt.ToString(CultureInfo.InvariantCulture) };
            var problem = s.Status != StepStatus.Succeeded ? $"status {s.Status.ToWire()} ({s.Error})"
                : finished.GetValueOrDefault(s.Id) != 1 ? $"{finished.GetValueOrDefault(s.Id)} step.finished events"
                : started.GetValueOrDefault(s.Id) != s.Attempt ? $"{started.GetValueOrDefault(s.Id)} step.started events for {s.Attempt} attempts"
                : !runs.SequenceEqual(expected) ? $"processes started for attempts [{string.Join(", ", runs)}] in {s.Attempt} attempts: the step ran more than once ({string.Join("; ", view.EventsOf(s.Id, EventTypes.StepRetrying).Select(e => (string?)e.Data?["error"]))})"
                : s.Output != $"done {s.Id} attempt {s.Attempt}" ? $"output '{s.Output}' after {s.Attempt} attempts"
                : null;
            if (problem is not null)
                problems.Append(CultureInfo.InvariantCulture, $"{s.Name} {s.Id}: {problem}\n");
        }
        Assert.True(problems.Length == 0, problems.ToString());
        output.WriteLine($"{view.Steps.Count(s => s.Attempt > 1)} of {Tasks} cli steps needed more than one attempt after {Kills} kills");
    }

    [Fact]
    public async Task CliAgent_OutlivesAKilledOrchestrator_AndANewWorkerFinishesItFromItsSentinel()
    {
        Init();
        ShellAgent("waiter", "waiter.sh", WaiterScript);
        var id = Ok("start", "waiter", "wait for go").Out.Trim();

        var pid = await StartThenKillWorkerAsync(id);
        Assert.False(ProcessWatch.IsDead(pid), "the agent process died with the orchestrator");

        File.WriteAllText(InRoot("go"), "");
        await Poll.UntilAsync(() => ProcessWatch.IsDead(pid), Patience, () => $"agent process {pid} to exit");
        Assert.True(File.Exists(Path.Combine(Cli.StateDir, "steps", id + ".done")));

        Ok("run", "--until-idle", "--quiet");

        var step = Ok("status", id, "--json").Json();
        Assert.Equal("succeeded", step["status"]!.GetValue<string>());
        Assert.Equal($"finished {id} attempt 1", step["output"]!.GetValue<string>());
        Assert.Equal(1, step["attempts"]!.GetValue<int>());
        var view = await StoreView.ReadAsync(Cli);
        Assert.Single(view.EventsOf(id, EventTypes.StepStarted));
        Assert.Single(view.EventsOf(id, EventTypes.StepFinished));
    }

    [Fact]
    public async Task CliAgent_StillRunningWhenANewWorkerStarts_IsAdoptedAndNotRunAgain()
    {
        Init();
        ShellAgent("waiter", "waiter.sh", WaiterScript);
        var id = Ok("start", "waiter", "wait for go").Out.Trim();
        var pid = await StartThenKillWorkerAsync(id);

        using var second = Cli.Start("run", "--until-idle", "--quiet");
        await Poll.UntilAsync(
            async () => second.HasExited || (await StoreView.ReadAsync(Cli)).EventsOf(id, EventTypes.Agent).Any(e => (string?)e.Data?["kind"] == "adopted"),
            Patience,
            () => $"the new worker to adopt {id}; {second.Output}");
        Assert.False(ProcessWatch.IsDead(pid), "the adopted agent process is gone");

        File.WriteAllText(InRoot("go"), "");
        var r = second.WaitForExit(Patience);
        Assert.True(r.ExitCode == 0, second.Output);

        var step = Ok("status", id, "--json").Json();
        Assert.Equal("succeeded", step["status"]!.GetValue<string>());
        Assert.Equal($"finished {id} attempt 1", step["output"]!.GetValue<string>());
        Assert.Equal(1, step["attempts"]!.GetValue<int>());
        Assert.Single((await StoreView.ReadAsync(Cli)).EventsOf(id, EventTypes.StepStarted));
    }

    [Fact]
    public async Task CliAgent_KilledWithoutASentinelWhileNoOrchestratorWatches_IsRetried()
    {
        Init();
        ShellAgent("waiter", "waiter.sh", WaiterScript);
        var id = Ok("start", "waiter", "wait for go", "--max-attempts", "2").Out.Trim();

        var pid = await StartThenKillWorkerAsync(id);
        Watch.Kill(pid);
        await Poll.UntilAsync(() => ProcessWatch.IsDead(pid), Patience, () => $"agent process {pid} to die");
        File.WriteAllText(InRoot("go"), "");

        Ok("run", "--until-idle", "--quiet");

        var step = Ok("status", id, "--json").Json();
        Assert.Equal("succeeded", step["status"]!.GetValue<string>());
        Assert.Equal(2, step["attempts"]!.GetValue<int>());
        Assert.Equal($"finished {id} attempt 2", step["output"]!.GetValue<string>());
        var view = await StoreView.ReadAsync(Cli);
        Assert.Equal(2, view.EventsOf(id, EventTypes.StepStarted).Count());
        Assert.Single(view.EventsOf(id, EventTypes.StepFinished));
        var retry = Assert.Single(view.EventsOf(id, EventTypes.StepRetrying));
        Assert.Equal(CliAgent.LostProcessMessage, (string?)retry.Data?["error"]);
    }

    /// <summary>
    /// Starts <c>orchestra worker</c>, waits until it runs step <paramref name="id"/>'s process and has recorded its
    /// handle, then kills the worker with SIGKILL. Returns the agent's pid (tracked for cleanup).
    /// </summary>
    private async Task<int> StartThenKillWorkerAsync(string id)
    {
        var pidFile = InRoot(id + ".pid");
        using var worker = Cli.Start("worker", "--quiet");
        string? handle = null;
        await using (var store = StoreView.Open(Cli))
        {
            await Poll.UntilAsync(
                async () =>
                {
                    if (worker.HasExited)
                        return true;
                    var step = await StoreView.StepAsync(store, id);
                    handle = step.Status == StepStatus.Running ? step.Handle : null;
                    return handle is not null && File.Exists(pidFile);
                },
                Patience,
                () => $"step {id} to run with a recorded process; {worker.Output}");
        }
        Assert.False(worker.HasExited, worker.Output);
        var pid = Watch.TrackHandle(handle);
        Assert.Equal(pid, int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
        worker.Kill();
        return pid;
    }

    /// <summary>
    /// <paramref name="count"/> tasks, mostly independent: every tenth starts a chain of three, and every fiftieth
    /// also waits for two earlier tasks.
    /// </summary>
    private static string CrashPlan(int count)
    {
        var plan = new StringBuilder("tasks:\n");
        for (var i = 0; i < count; i++)
        {
            var deps = new List<string>();
            if (i % 10 is 1 or 2)
                deps.Add($"t{i - 1}");
            if (i % 50 == 49)
                deps.AddRange([$"t{i - 17}", $"t{i - 33}"]);
            var after = deps.Count > 0 ? $", depends_on: [{string.Join(", ", deps)}]" : "";
            plan.Append(CultureInfo.InvariantCulture, $"  - {{ id: t{i}, agent: quick, prompt: p{i}, max_attempts: 30{after} }}\n");
        }
        return plan.ToString();
    }

    /// <summary>
    /// Starts a worker and SIGKILLs it once a random number (1 to <paramref name="maxProgress"/>, seeded) of
    /// further steps have succeeded, <paramref name="kills"/> times.
    /// </summary>
    private async Task KillWorkerRepeatedlyAsync(int tasks, int kills, int parallel, int seed, int maxProgress)
    {
        var random = new Random(seed);
        await using var store = StoreView.Open(Cli);
        for (var kill = 1; kill <= kills; kill++)
        {
            var before = (await store.SummarizeAsync())[StepStatus.Succeeded];
            var target = Math.Min(tasks, before + random.Next(1, maxProgress + 1));
            using var worker = Cli.Start("worker", "--parallel", parallel.ToString(CultureInfo.InvariantCulture), "--quiet");
            var succeeded = before;
            var round = kill;
            await Poll.UntilAsync(
                async () => worker.HasExited || (succeeded = (await store.SummarizeAsync())[StepStatus.Succeeded]) >= target,
                Patience,
                () => $"kill {round}: {succeeded} of {target} steps succeeded; {worker.Output}");
            Assert.False(worker.HasExited, $"kill {kill}: the worker exited on its own: {worker.Output}");
            worker.Kill();
        }
    }
}
