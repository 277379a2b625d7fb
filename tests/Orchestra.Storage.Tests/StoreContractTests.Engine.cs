using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;
using Orchestra.Storage.Tests.Support;

namespace Orchestra.Storage.Tests;

/// <summary>The engine's behaviour over each store: the contract seen from the code that owns it.</summary>
public abstract partial class StoreContractTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>An engine over the store with a frozen clock, 30 s leases and retry delays without jitter (1 s, 2 s, 4 s...).</summary>
    protected OrchestraEngine NewEngine(FakeTimeProvider clock) => new(
        Store,
        new AgentRegistry([new EchoAgent()]),
        new EngineOptions
        {
            LeaseDuration = Lease,
            Retry = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), Jitter = 0.2 },
            Random = () => 0.5,
        },
        clock);

    private static FakeTimeProvider NewClock() => new(T0);

    private static StepSpec Spec(string name, params string[] dependsOn) => new() { Name = name, Agent = "echo", Prompt = "do " + name, DependsOn = dependsOn };

    private static ValueTask<CompletionOutcome> SucceedAsync(OrchestraEngine engine, StepRecord claimed) =>
        engine.CompleteAsync(new Completion(claimed, AgentResult.Success("done " + claimed.Name)));

    private async Task<Dictionary<string, StepRecord>> StepsByNameAsync(string runId) =>
        (await Store.ListStepsAsync(new StepQuery { RunId = runId })).ToDictionary(s => s.Name);

    [Fact]
    public async Task Engine_RunsAPlanInDependencyOrder_AndCompletesIt()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Plan,
            Name = "diamond",
            Steps = [Spec("d", "b", "c"), Spec("a"), Spec("b", "a"), Spec("c", "a")],
        });
        Assert.Equal(["d", "a", "b", "c"], submission.Steps.Select(s => s.Name));
        Assert.Equal([StepStatus.Pending, StepStatus.Ready, StepStatus.Pending, StepStatus.Pending], submission.Steps.Select(s => s.Status));

        var waves = new List<List<string>>();
        while (true)
        {
            var claimed = await engine.ClaimAsync("w1", 10);
            if (claimed.Count == 0)
                break;
            waves.Add(claimed.Select(s => s.Name).ToList());
            foreach (var step in claimed)
                Assert.Equal(CompletionOutcome.Recorded, await SucceedAsync(engine, step));
        }

        Assert.Equal([["a"], ["b", "c"], ["d"]], waves);
        var steps = await StepsByNameAsync(submission.Run.Id);
        Assert.All(steps.Values, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.All(steps.Values, s => Assert.Equal(1, s.Attempt));
        Assert.Equal("done d", steps["d"].Output);
        Assert.Equal([steps["b"].Id, steps["c"].Id], (await Store.GetStepAsync(steps["d"].Id))!.DependsOn);
        var run = await Store.GetRunAsync(submission.Run.Id);
        Assert.Equal(RunStatus.Completed, run!.Status);
        Assert.Equal(T0, run.FinishedAt);
        var events = await Store.ListEventsAsync(run.Id, 0, 1000);
        Assert.Equal(EventTypes.RunCreated, events[0].Type);
        Assert.Equal(4, events.Count(e => e.Type == EventTypes.StepFinished));
        Assert.Equal(EventTypes.RunStatus, events[^1].Type);
        Assert.Equal("completed", events[^1].Data!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Engine_FailedStep_FailsItsDependantsTransitively_WhenThePolicyIsFail()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = [Spec("a"), Spec("b", "a"), Spec("c", "a"), Spec("d", "b", "c")] });

        var a = Assert.Single(await engine.ClaimAsync("w1", 10));
        await engine.CompleteAsync(new Completion(a, AgentResult.Permanent("bad input")));

        var steps = await StepsByNameAsync(submission.Run.Id);
        Assert.Equal(StepStatus.Failed, steps["a"].Status);
        Assert.Equal(FailureKind.Permanent, steps["a"].FailureKind);
        foreach (var name in new[] { "b", "c", "d" })
        {
            Assert.Equal(StepStatus.Failed, steps[name].Status);
            Assert.Equal(FailureKind.Dependency, steps[name].FailureKind);
            Assert.Equal(0, steps[name].Attempt);
        }
        Assert.Empty(await engine.ClaimAsync("w1", 10));
        Assert.Equal(RunStatus.Failed, (await Store.GetRunAsync(submission.Run.Id))!.Status);
    }

    [Fact]
    public async Task Engine_FailedStep_SkipsItsDependants_WhenTheirPolicyIsSkip()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Plan,
            Steps = [Spec("a"), Spec("b", "a") with { OnDependencyFailure = DependencyFailurePolicy.Skip }, Spec("c", "a"), Spec("other")],
        });

        var claimed = await engine.ClaimAsync("w1", 10);
        Assert.Equal(["a", "other"], claimed.Select(s => s.Name));
        await engine.CompleteAsync(new Completion(claimed[0], AgentResult.Permanent("no")));
        await SucceedAsync(engine, claimed[1]);

        var steps = await StepsByNameAsync(submission.Run.Id);
        Assert.Equal(StepStatus.Skipped, steps["b"].Status);
        Assert.Equal(FailureKind.Dependency, steps["b"].FailureKind);
        Assert.Equal(StepStatus.Failed, steps["c"].Status);
        Assert.Equal(StepStatus.Succeeded, steps["other"].Status);
        Assert.Equal(RunStatus.Failed, (await Store.GetRunAsync(submission.Run.Id))!.Status);
    }

    [Fact]
    public async Task Engine_CompletionWithAStaleAttemptOrAnotherOwner_IsFenced()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.StartAsync(Spec("t") with { MaxAttempts = 3 });
        var claimed = Assert.Single(await engine.ClaimAsync("w1", 1));

        Assert.Equal(CompletionOutcome.Fenced, await SucceedAsync(engine, claimed with { Attempt = claimed.Attempt - 1 }));
        Assert.Equal(CompletionOutcome.Fenced, await SucceedAsync(engine, claimed with { LeaseOwner = "w2" }));
        Assert.Equal(StepStatus.Running, (await Store.GetStepAsync(claimed.Id))!.Status);

        Assert.Equal(CompletionOutcome.Recorded, await SucceedAsync(engine, claimed));
        Assert.Equal(CompletionOutcome.Fenced, await SucceedAsync(engine, claimed));
        var step = await Store.GetStepAsync(submission.Steps[0].Id);
        Assert.Equal(StepStatus.Succeeded, step!.Status);
        Assert.Equal(1, (await Store.ListEventsAsync(submission.Run.Id, 0, 100)).Count(e => e.Type == EventTypes.StepFinished));
    }

    [Fact]
    public async Task Engine_ExpiredLease_IsReclaimedAtOnceAsANewAttempt_WithoutSpendingTheStepsAttempts()
    {
        var clock = NewClock();
        var engine = NewEngine(clock);
        var submission = await engine.StartAsync(Spec("t"));
        var first = Assert.Single(await engine.ClaimAsync("w1", 1));
        Assert.Equal(T0 + Lease, first.LeaseExpiresAt);

        clock.Advance(Lease);
        Assert.Equal(0, (await engine.ReclaimAsync(null)).Lost); // not expired yet: expiry is strictly before now
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var report = await engine.ReclaimAsync(null);

        Assert.Equal(1, report.Lost);
        var step = await Store.GetStepAsync(first.Id);
        Assert.Equal(StepStatus.Ready, step!.Status);
        Assert.Equal(FailureKind.Transient, step.FailureKind);
        Assert.Null(step.LeaseOwner);
        Assert.Null(step.NotBefore);
        Assert.Equal(1, step.LostAttempts);
        Assert.Equal(2, step.MaxAttempts);

        var second = Assert.Single(await engine.ClaimAsync("w2", 1));
        Assert.Equal(2, second.Attempt);
        Assert.Equal("w2", second.LeaseOwner);
        Assert.Equal(CompletionOutcome.Fenced, await SucceedAsync(engine, first));
        Assert.Equal(CompletionOutcome.Recorded, await SucceedAsync(engine, second));
        Assert.Equal(RunStatus.Completed, (await Store.GetRunAsync(submission.Run.Id))!.Status);
    }

    [Fact]
    public async Task Engine_StepThatKeepsLosingItsWorker_FailsAfterTheLostAttemptAllowance()
    {
        var clock = NewClock();
        var engine = NewEngine(clock);
        var submission = await engine.StartAsync(Spec("t"));
        for (var i = 0; i <= OrchestraEngine.MaxLostAttempts; i++)
        {
            Assert.Single(await engine.ClaimAsync($"w{i}", 1));
            clock.Advance(Lease + TimeSpan.FromMilliseconds(1));
            await engine.ReclaimAsync(null);
        }

        var step = (await Store.GetStepAsync(submission.Steps[0].Id))!;
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal(OrchestraEngine.MaxLostAttempts, step.LostAttempts);
        Assert.Contains("stopped", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_LeaseRenewedAfterItWasListed_IsNotReclaimed()
    {
        var clock = NewClock();
        var engine = NewEngine(clock);
        await engine.StartAsync(Spec("t"));
        var held = Assert.Single(await engine.ClaimAsync("w1", 1));
        clock.Advance(Lease + TimeSpan.FromMilliseconds(1));
        // The worker was merely late: its heartbeat lands before anyone reclaims.
        Assert.True(Assert.Single(await engine.HeartbeatAsync("w1", [new HeldLease(held.Id, held.Attempt)])).Owned);

        Assert.Equal(0, (await engine.ReclaimAsync(null)).Lost);
        Assert.Equal(CompletionOutcome.Recorded, await SucceedAsync(engine, held));
    }

    [Fact]
    public async Task Engine_TransientFailure_IsRetriedWithAGrowingBackoff_UntilAttemptsRunOut()
    {
        var clock = NewClock();
        var engine = NewEngine(clock);
        var submission = await engine.StartAsync(Spec("t") with { MaxAttempts = 3 });

        var attempt1 = Assert.Single(await engine.ClaimAsync("w1", 1));
        await engine.CompleteAsync(new Completion(attempt1, AgentResult.Transient("rate limited")));
        var waiting = await Store.GetStepAsync(attempt1.Id);
        Assert.Equal(StepStatus.Ready, waiting!.Status);
        Assert.Equal(T0.AddSeconds(1), waiting.NotBefore);
        Assert.Equal(T0.AddSeconds(1), await Store.NextBackoffAsync());
        Assert.Empty(await engine.ClaimAsync("w1", 1));

        clock.Advance(TimeSpan.FromSeconds(1));
        var attempt2 = Assert.Single(await engine.ClaimAsync("w1", 1));
        Assert.Equal(2, attempt2.Attempt);
        Assert.Null(attempt2.NotBefore);
        Assert.Null(await Store.NextBackoffAsync());
        await engine.CompleteAsync(new Completion(attempt2, AgentResult.Transient("rate limited")));
        Assert.Equal(clock.GetUtcNow().AddSeconds(2), (await Store.GetStepAsync(attempt1.Id))!.NotBefore);

        clock.Advance(TimeSpan.FromSeconds(2));
        var attempt3 = Assert.Single(await engine.ClaimAsync("w1", 1));
        await engine.CompleteAsync(new Completion(attempt3, AgentResult.Transient("rate limited")));

        var failed = await Store.GetStepAsync(attempt1.Id);
        Assert.Equal(StepStatus.Failed, failed!.Status);
        Assert.Equal(3, failed.Attempt);
        Assert.Contains("gave up after 3 attempts", failed.Error, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, (await Store.GetRunAsync(submission.Run.Id))!.Status);
    }

    [Fact]
    public async Task Engine_StartWithTheSameIdempotencyKeyAndPayload_ReturnsTheExistingStep()
    {
        var engine = NewEngine(NewClock());
        var spec = Spec("t") with { IdempotencyKey = "job-7" };

        var first = await engine.StartAsync(spec);
        var again = await engine.StartAsync(spec);

        Assert.False(first.Existing);
        Assert.True(again.Existing);
        Assert.Equal(first.Run.Id, again.Run.Id);
        Assert.Equal(first.Steps[0].Id, again.Steps[0].Id);
        Assert.Single(await Store.ListRunsAsync(10));
    }

    [Fact]
    public async Task Engine_ConcurrentStartsWithTheSameIdempotencyKey_CreateTheStepOnce()
    {
        // Every submitter looks the key up before any of them writes: the transaction must look again.
        var gated = new KeyLookupBarrierStore(Store, parties: 8);
        var engine = new OrchestraEngine(gated, new AgentRegistry([new EchoAgent()]), time: NewClock());
        var spec = Spec("t") with { IdempotencyKey = "job-8" };

        var submissions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await engine.StartAsync(spec))));

        Assert.Single(submissions, s => !s.Existing);
        Assert.Single(submissions.Select(s => s.Steps[0].Id).Distinct());
        Assert.Single(submissions.Select(s => s.Run.Id).Distinct());
        Assert.Single(await Store.ListRunsAsync(10));
    }

    [Fact]
    public async Task Engine_StartWithTheSameIdempotencyKeyAndAnotherPayload_IsAConflict()
    {
        var engine = NewEngine(NewClock());
        await engine.StartAsync(Spec("t") with { IdempotencyKey = "job-7" });

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => engine.StartAsync(Spec("t") with { IdempotencyKey = "job-7", Prompt = "something else" }).AsTask());

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains("job-7", ex.Message, StringComparison.Ordinal);
        Assert.Single(await Store.ListRunsAsync(10));
    }

    [Fact]
    public async Task Engine_CancellingARun_CancelsItsOpenSteps()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = [Spec("a"), Spec("b", "a"), Spec("c")] });
        var claimed = await engine.ClaimAsync("w1", 1);
        Assert.Equal("a", Assert.Single(claimed).Name);

        var cancelled = await engine.CancelAsync(submission.Run.Id);

        Assert.Equal(3, cancelled.Count);
        var steps = await StepsByNameAsync(submission.Run.Id);
        Assert.All(steps.Values, s => Assert.Equal(StepStatus.Cancelled, s.Status));
        Assert.All(steps.Values, s => Assert.Null(s.LeaseOwner));
        Assert.Equal(RunStatus.Cancelled, (await Store.GetRunAsync(submission.Run.Id))!.Status);
        Assert.False(await Store.HasOpenStepsAsync(submission.Run.Id));
        Assert.Equal(CompletionOutcome.Fenced, await SucceedAsync(engine, claimed[0]));
        Assert.Empty(await engine.ClaimAsync("w1", 10));
    }

    [Fact]
    public async Task Engine_PausedRun_IsNotClaimedUntilResumed()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.StartAsync(Spec("t"));

        await engine.SetPausedAsync(submission.Run.Id, paused: true);
        Assert.Empty(await engine.ClaimAsync("w1", 1));

        await engine.SetPausedAsync(submission.Run.Id, paused: false);
        Assert.Single(await engine.ClaimAsync("w1", 1));
    }

    [Fact]
    public async Task Engine_Claims_TakeHigherPriorityFirst_ThenFirstInFirstOut()
    {
        var engine = NewEngine(NewClock());
        foreach (var (name, priority) in new[] { ("p0-first", 0), ("p5-first", 5), ("p0-second", 0), ("p5-second", 5), ("p1", 1), ("pneg", -3) })
            await engine.StartAsync(Spec(name) with { Priority = priority });

        var order = new List<string>();
        while (await engine.ClaimAsync("w1", 1) is [var claimed])
            order.Add(claimed.Name);

        Assert.Equal(["p5-first", "p5-second", "p1", "p0-first", "p0-second", "pneg"], order);
        Assert.Equal(6, (await Store.CountRunningAsync()).Total);
    }

    [Fact]
    public async Task Engine_ConcurrentCompletionsOfAJoinsDependencies_MakeItReadyExactlyOnce()
    {
        var engine = NewEngine(NewClock());
        var submission = await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = [Spec("a"), Spec("b"), Spec("join", "a", "b")] });
        var claimed = await engine.ClaimAsync("w1", 10);
        Assert.Equal(["a", "b"], claimed.Select(s => s.Name));

        var outcomes = await Task.WhenAll(claimed.Select(c => Task.Run(async () => await SucceedAsync(engine, c))));

        Assert.All(outcomes, o => Assert.Equal(CompletionOutcome.Recorded, o));
        var join = (await StepsByNameAsync(submission.Run.Id))["join"];
        Assert.Equal(StepStatus.Ready, join.Status);
        Assert.Equal(0, join.PendingDependencies);
        var events = await Store.ListEventsAsync(submission.Run.Id, 0, 1000);
        Assert.Single(events, e => e.Type == EventTypes.StepReady && e.StepId == join.Id);
        Assert.Equal(join.Id, Assert.Single(await engine.ClaimAsync("w1", 10)).Id);
        Assert.Empty(await engine.ClaimAsync("w1", 10));
    }

    [Fact]
    public async Task Engine_SubmittingManyStepsWithinOneMillisecond_GivesEachAUniqueId()
    {
        var engine = NewEngine(NewClock());

        var submission = await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = Enumerable.Range(0, 500).Select(i => Spec("t" + i)).ToList() });

        Assert.Equal(500, submission.Steps.Select(s => s.Id).Distinct().Count());
        Assert.All(submission.Steps, s => Assert.True(Core.Model.Ids.IsValid(s.Id), s.Id));
        Assert.Equal(500, (await Store.ListStepsAsync(new StepQuery { RunId = submission.Run.Id })).Count);
    }
}
