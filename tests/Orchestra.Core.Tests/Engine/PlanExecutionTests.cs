using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Engine;

public class PlanExecutionTests
{
    private readonly InMemoryStore _store = new();

    private OrchestraEngine Engine(params Agent[] agents) =>
        new(_store, new AgentRegistry(agents), new EngineOptions { Retry = new RetryPolicy { BaseDelay = TimeSpan.Zero, Jitter = 0 } });

    private static async Task RunAsync(OrchestraEngine engine, int parallel = 4)
    {
        using var worker = new Worker(engine, new WorkerOptions { Parallelism = parallel, UntilIdle = true });
        await worker.RunAsync();
    }

    private static StepSpec Task(string name, string agent, params string[] deps) => new() { Name = name, Agent = agent, Prompt = name, DependsOn = deps };

    [Fact]
    public async Task Diamond_RunsEachStepAfterItsDependencies()
    {
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var agent = new FuncAgent("a", (c, _) => { order.Enqueue(c.Prompt); return ValueTask.FromResult(AgentResult.Success(c.Prompt)); });
        var engine = Engine(agent);
        var sub = await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = [Task("d", "a", "b", "c"), Task("b", "a", "a1"), Task("c", "a", "a1"), Task("a1", "a")] });

        await RunAsync(engine);

        var list = order.ToList();
        Assert.Equal("a1", list[0]);
        Assert.Equal("d", list[^1]);
        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(sub.Run.Id))!.Status);
    }

    [Fact]
    public async Task FailedDependency_FailsOrSkipsDependantsByPolicy()
    {
        var engine = Engine(FuncAgent.Echo("ok"), new FuncAgent("bad", (_, _) => ValueTask.FromResult(AgentResult.Permanent("broken"))));
        var sub = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Plan,
            Steps =
            [
                Task("root", "bad"),
                Task("failing", "ok", "root"),
                Task("skipping", "ok", "root") with { OnDependencyFailure = DependencyFailurePolicy.Skip },
                Task("grandchild", "ok", "skipping"),
                Task("independent", "ok"),
            ],
        });

        await RunAsync(engine);

        var steps = (await _store.ListStepsAsync(new StepQuery { RunId = sub.Run.Id })).ToDictionary(s => s.Name);
        Assert.Equal(StepStatus.Failed, steps["root"].Status);
        Assert.Equal(StepStatus.Failed, steps["failing"].Status);
        Assert.Equal(FailureKind.Dependency, steps["failing"].FailureKind);
        Assert.Contains("root", steps["failing"].Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Skipped, steps["skipping"].Status);
        Assert.Equal(StepStatus.Failed, steps["grandchild"].Status);
        Assert.Equal(StepStatus.Succeeded, steps["independent"].Status);
        Assert.Equal(0, steps["failing"].Attempt);
        Assert.Equal(RunStatus.Failed, (await _store.GetRunAsync(sub.Run.Id))!.Status);
    }

    [Fact]
    public async Task TransientFailures_AreRetriedUpToMaxAttempts()
    {
        var flaky = new FuncAgent("flaky", (c, _) => ValueTask.FromResult(c.Attempt < 3 ? AgentResult.Transient("429") : AgentResult.Success("ok")));
        var engine = Engine(flaky);
        var sub = await engine.StartAsync(new StepSpec { Agent = "flaky", MaxAttempts = 3 });

        await RunAsync(engine);

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.Equal(3, step.Attempt);
        Assert.Equal([1, 2, 3], flaky.Calls.Select(c => c.Attempt));
    }

    [Fact]
    public async Task PermanentFailures_AreNotRetried()
    {
        var broken = new FuncAgent("broken", (_, _) => ValueTask.FromResult(AgentResult.Permanent("401 bad key")));
        var engine = Engine(broken);
        var sub = await engine.StartAsync(new StepSpec { Agent = "broken", MaxAttempts = 5 });

        await RunAsync(engine);

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(1, step.Attempt);
        Assert.Equal(FailureKind.Permanent, step.FailureKind);
    }

    [Fact]
    public async Task TransientFailures_GiveUpAfterMaxAttempts()
    {
        var engine = Engine(new FuncAgent("down", (_, _) => ValueTask.FromResult(AgentResult.Transient("503"))));
        var sub = await engine.StartAsync(new StepSpec { Agent = "down", MaxAttempts = 2 });

        await RunAsync(engine);

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(2, step.Attempt);
        Assert.Contains("gave up after 2 attempts", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_RejectsCyclesUnknownAgentsAndDuplicatesBeforeWritingAnything()
    {
        var engine = Engine(FuncAgent.Echo("a"));
        var cycle = await Assert.ThrowsAsync<OrchestraException>(async () =>
            await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "a", "z"), Task("y", "a", "x"), Task("z", "a", "y")] }));
        Assert.Contains("cycle", cycle.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<OrchestraException>(async () =>
            await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "ghost")] }));
        Assert.Contains("ghost", unknown.Message, StringComparison.Ordinal);
        var dup = await Assert.ThrowsAsync<OrchestraException>(async () =>
            await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "a"), Task("x", "a")] }));
        Assert.Contains("'x'", dup.Message, StringComparison.Ordinal);
        var missingDep = await Assert.ThrowsAsync<OrchestraException>(async () =>
            await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "a", "nope")] }));
        Assert.Contains("nope", missingDep.Message, StringComparison.Ordinal);

        Assert.Empty(await _store.ListRunsAsync(10));
        Assert.Empty(await _store.ListStepsAsync(new StepQuery()));
    }

    [Fact]
    public async Task DeepChain_IsAcceptedWithoutRecursion()
    {
        var engine = Engine(FuncAgent.Echo("a"));
        // Names that look like the start of a step id must not be mistaken for external dependencies.
        var steps = Enumerable.Range(0, 20_000).Select(i => Task($"s{i}", "a", i == 0 ? [] : [$"s{i - 1}"])).ToList();
        var sub = await engine.SubmitAsync(new RunSpec { Steps = steps });
        Assert.Equal(20_000, sub.Steps.Count);
        Assert.Equal(StepStatus.Ready, sub.Steps[0].Status);
        Assert.Equal(StepStatus.Pending, sub.Steps[1].Status);
    }

    [Fact]
    public async Task Retry_ReopensTheFailedStepAndItsSettledDependants()
    {
        var fail = true;
        var engine = Engine(new FuncAgent("once", (_, _) => ValueTask.FromResult(fail ? AgentResult.Permanent("no") : AgentResult.Success("yes"))), FuncAgent.Echo("ok"));
        var sub = await engine.SubmitAsync(new RunSpec { Steps = [Task("first", "once"), Task("second", "ok", "first")] });
        await RunAsync(engine);
        Assert.Equal(RunStatus.Failed, (await _store.GetRunAsync(sub.Run.Id))!.Status);

        fail = false;
        await engine.RetryAsync(sub.Steps[0].Id);
        await RunAsync(engine);

        var steps = await _store.ListStepsAsync(new StepQuery { RunId = sub.Run.Id });
        Assert.All(steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(2, steps[0].Attempt);
        Assert.Equal(RunStatus.Completed, (await _store.GetRunAsync(sub.Run.Id))!.Status);
    }

    [Fact]
    public async Task CancelRun_CancelsOpenStepsAndNothingRuns()
    {
        var echo = FuncAgent.Echo("a");
        var engine = Engine(echo);
        var sub = await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "a"), Task("y", "a", "x")] });

        await engine.CancelAsync(sub.Run.Id);
        await RunAsync(engine);

        Assert.Empty(echo.Calls);
        Assert.Equal(RunStatus.Cancelled, (await _store.GetRunAsync(sub.Run.Id))!.Status);
        Assert.All(await _store.ListStepsAsync(new StepQuery { RunId = sub.Run.Id }), s => Assert.Equal(StepStatus.Cancelled, s.Status));
    }

    [Fact]
    public async Task PerAgentLimit_IsNeverExceeded()
    {
        var current = 0;
        var peak = 0;
        var limited = new FuncAgent("limited", async (c, ct) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref peak, now);
            await System.Threading.Tasks.Task.Yield();
            Interlocked.Decrement(ref current);
            return AgentResult.Success("");
        }) { MaxConcurrency = 2 };
        var engine = Engine(limited);
        await engine.SubmitAsync(new RunSpec { Steps = Enumerable.Range(0, 40).Select(i => Task($"t{i}", "limited")).ToList() });

        await RunAsync(engine, parallel: 8);

        Assert.InRange(peak, 1, 2);
    }

    [Fact]
    public async Task RunUntilIdle_DoesNotWaitForAPausedRun()
    {
        var echo = FuncAgent.Echo("a");
        var engine = Engine(echo);
        var paused = await engine.SubmitAsync(new RunSpec { Steps = [Task("x", "a")] });
        await engine.SetPausedAsync(paused.Run.Id, paused: true);
        var other = await engine.SubmitAsync(new RunSpec { Steps = [Task("y", "a")] });

        await RunAsync(engine);

        Assert.Equal(StepStatus.Ready, (await _store.GetStepAsync(paused.Steps[0].Id))!.Status);
        Assert.Equal(StepStatus.Succeeded, (await _store.GetStepAsync(other.Steps[0].Id))!.Status);
        await engine.SetPausedAsync(paused.Run.Id, paused: false);
        await RunAsync(engine);
        Assert.Equal(StepStatus.Succeeded, (await _store.GetStepAsync(paused.Steps[0].Id))!.Status);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
