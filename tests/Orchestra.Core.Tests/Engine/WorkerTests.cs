using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Engine;

public class WorkerTests
{
    private readonly InMemoryStore _store = new();
    private readonly FakeTimeProvider _time = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sawCancellation = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FuncAgent Blocking() => new("slow", async (c, ct) =>
    {
        _started.TrySetResult();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }
        catch (OperationCanceledException)
        {
            _sawCancellation.TrySetResult();
            throw;
        }
        return AgentResult.Success("never");
    });

    private OrchestraEngine Engine(Agent agent) =>
        new(_store, new AgentRegistry([agent]), new EngineOptions { LeaseDuration = TimeSpan.FromSeconds(30) }, _time);

    [Fact]
    public async Task Step_PastItsTimeout_IsCancelledAndRecordedAsTimedOut()
    {
        var engine = Engine(Blocking());
        var sub = await engine.StartAsync(new StepSpec { Agent = "slow", Timeout = TimeSpan.FromMinutes(5) });
        using var worker = new Worker(engine, new WorkerOptions { UntilIdle = true });
        var run = worker.RunAsync();

        await _started.Task;
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await run;

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.TimedOut, step.Status);
        Assert.Equal(FailureKind.Timeout, step.FailureKind);
        Assert.Equal("timed out after 5m", step.Error);
        Assert.True(_sawCancellation.Task.IsCompleted);
    }

    [Fact]
    public async Task StoppingWorker_HandsInProcessStepsBackWithoutSpendingAnAttempt()
    {
        var engine = Engine(Blocking());
        var sub = await engine.StartAsync(new StepSpec { Agent = "slow" });
        using var stop = new CancellationTokenSource();
        using var worker = new Worker(engine, new WorkerOptions());
        var run = worker.RunAsync(stop.Token);

        await _started.Task;
        await stop.CancelAsync();
        await run;

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Ready, step.Status);
        Assert.Null(step.LeaseOwner);
        Assert.Equal(1, step.Attempt);
        Assert.Equal(2, step.MaxAttempts);
    }

    [Fact]
    public async Task UserCancel_WhileRunning_StopsTheAgentAtTheNextHeartbeat_AndItsResultIsRefused()
    {
        var engine = Engine(Blocking());
        var sub = await engine.StartAsync(new StepSpec { Agent = "slow" });
        using var worker = new Worker(engine, new WorkerOptions { UntilIdle = true });
        var run = worker.RunAsync();

        await _started.Task;
        await engine.CancelAsync(sub.Steps[0].Id);
        _time.Advance(TimeSpan.FromSeconds(11));
        var summary = await run;

        await _sawCancellation.Task;
        Assert.Equal(1, summary.Fenced);
        Assert.Equal(StepStatus.Cancelled, (await _store.GetStepAsync(sub.Steps[0].Id))!.Status);
    }

    [Fact]
    public async Task RetryBackoff_IsWaitedOnTheClock()
    {
        var calls = 0;
        var engine = Engine(new FuncAgent("flaky", (_, _) => ValueTask.FromResult(Interlocked.Increment(ref calls) == 1 ? AgentResult.Transient("busy") : AgentResult.Success("ok"))));
        var sub = await engine.StartAsync(new StepSpec { Agent = "flaky", MaxAttempts = 2 });

        var first = await engine.ClaimAsync("w", 1);
        await engine.CompleteAsync(new Completion(first[0], await engine.FindAgent("flaky")!.InvokeAsync(new AgentContext(first[0], [], ".", _time))));
        var waiting = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Ready, waiting.Status);
        Assert.NotNull(waiting.NotBefore);
        Assert.Empty(await engine.ClaimAsync("w", 1));

        _time.SetUtcNow(waiting.NotBefore!.Value + TimeSpan.FromMilliseconds(1));
        var second = await engine.ClaimAsync("w", 1);

        Assert.Equal(2, Assert.Single(second).Attempt);
    }

    [Fact]
    public async Task Heartbeat_RenewsTheLease_AndReportsALostOne()
    {
        var engine = Engine(FuncAgent.Echo("slow"));
        var sub = await engine.StartAsync(new StepSpec { Agent = "slow" });
        var claimed = (await engine.ClaimAsync("w1", 1))[0];
        var firstExpiry = claimed.LeaseExpiresAt;

        _time.Advance(TimeSpan.FromSeconds(20));
        var beat = await engine.HeartbeatAsync("w1", [new HeldLease(claimed.Id, claimed.Attempt)]);

        Assert.True(Assert.Single(beat).Owned);
        Assert.True((await _store.GetStepAsync(claimed.Id))!.LeaseExpiresAt > firstExpiry);
        var stale = await engine.HeartbeatAsync("someone-else", [new HeldLease(claimed.Id, claimed.Attempt)]);
        Assert.False(Assert.Single(stale).Owned);
        Assert.Equal(sub.Steps[0].Id, claimed.Id);
    }
}
