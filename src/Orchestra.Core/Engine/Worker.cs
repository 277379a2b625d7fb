using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

/// <summary>
/// Executes ready steps, up to <see cref="WorkerOptions.Parallelism"/> at once. One loop owns every store
/// write of the worker — claims, group-committed completions, batched heartbeats, reclaims — while the
/// agents run concurrently; any number of workers, in any number of processes, share a store.
/// </summary>
public sealed class Worker : IDisposable
{
    private readonly OrchestraEngine _engine;
    private readonly WorkerOptions _options;
    private readonly ConcurrentQueue<Completion> _done = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Dictionary<string, Execution> _inflight = new(StringComparer.Ordinal);
    private int _started, _succeeded, _unsuccessful, _fenced;
    private bool _backoffChecked;
    private DateTimeOffset _backoffRecheckAt;
    private DateTimeOffset? _knownBackoff;

    /// <summary>Creates a worker for an engine.</summary>
    public Worker(OrchestraEngine engine, WorkerOptions? options = null)
    {
        _engine = engine;
        _options = options ?? new WorkerOptions();
        if (_options.Parallelism < 1)
            throw new OrchestraException($"Parallelism must be at least 1, not {_options.Parallelism}.");
        Id = _options.WorkerId ?? DefaultId();
    }

    /// <summary>The identity written into leases.</summary>
    public string Id { get; }

    private TimeProvider Time => _engine.Time;

    private static string DefaultId() =>
        $"{Environment.MachineName}/{Environment.ProcessId}/{Environment.TickCount64:x}";

    /// <summary>Runs until cancelled, or until idle when <see cref="WorkerOptions.UntilIdle"/> is set.</summary>
    public async Task<WorkerSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        var lease = _engine.Options.LeaseDuration;
        var heartbeatEvery = _options.HeartbeatInterval ?? lease / 3;
        var reclaimEvery = _options.ReclaimInterval ?? lease / 2;
        var nextHeartbeat = Time.GetUtcNow() + heartbeatEvery;
        var nextReclaim = Time.GetUtcNow();
        var nextIntake = Time.GetUtcNow();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var claimed = await FlushCompletionsAndClaimAsync(cancellationToken).ConfigureAwait(false);
                var now = Time.GetUtcNow();
                if (now >= nextHeartbeat)
                {
                    await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
                    nextHeartbeat = now + heartbeatEvery;
                }
                if (now >= nextReclaim)
                {
                    var report = await _engine.ReclaimAsync(Id, cancellationToken).ConfigureAwait(false);
                    foreach (var step in report.Adopted)
                        Start(step, resume: true);
                    nextReclaim = now + reclaimEvery;
                }
                if (now >= nextIntake)
                {
                    await _engine.IntakeAsync(cancellationToken).ConfigureAwait(false);
                    nextIntake = now + _options.PollInterval;
                }
                var free = _options.Parallelism - _inflight.Count;
                if (claimed is null)
                {
                    var claims = free > 0 ? await _engine.ClaimWithStatesAsync(Id, free, _options.RunId, cancellationToken).ConfigureAwait(false) : OrchestraEngine.Claims.None;
                    claimed = claims.Claimed;
                    StartAll(claims);
                }
                if (!_done.IsEmpty)
                    continue;
                if (_options.UntilIdle && _inflight.Count == 0 && _done.IsEmpty && await IsIdleAsync(cancellationToken).ConfigureAwait(false))
                    break;
                var wait = _options.PollInterval;
                if (_inflight.Count > 0)
                    wait = Min(wait, nextHeartbeat - now);
                // With free slots and nothing claimable, a step may still be waiting out its retry backoff.
                if (_inflight.Count < _options.Parallelism && await NextBackoffAsync(now, cancellationToken).ConfigureAwait(false) is { } backoff)
                    wait = Min(wait, backoff - now);
                await WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: fall through to hand work back.
        }
        await StopAsync().ConfigureAwait(false);
        return new WorkerSummary { Started = _started, Succeeded = _succeeded, Unsuccessful = _unsuccessful, Fenced = _fenced };
    }

    /// <inheritdoc />
    public void Dispose() => _signal.Dispose();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
            return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signalled = _signal.WaitAsync(cts.Token);
        var delay = Task.Delay(wait, Time, cts.Token);
        await Task.WhenAny(signalled, delay).ConfigureAwait(false);
        cts.Cancel();
        // One wake-up serves every completion queued so far.
        while (_signal.Wait(0, CancellationToken.None))
        {
        }
        try
        {
            await Task.WhenAll(signalled, delay).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loser of the race was cancelled.
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async ValueTask<bool> IsIdleAsync(CancellationToken cancellationToken)
    {
        // Work accepted outside the store since the last poll is work to do.
        if (await _engine.IntakeAsync(cancellationToken).ConfigureAwait(false) > 0)
            return false;
        if (_options.RunId is { } runId)
        {
            // A worker for one run is done when the run is: finished, paused for a user, out of open steps, or
            // waiting for a person with nothing else to run.
            var run = await _engine.Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            return run is null || run.Status.IsTerminal() || run.Status == RunStatus.Paused
                || !await _engine.Store.HasOpenStepsAsync(runId, cancellationToken).ConfigureAwait(false)
                || OrchestraEngine.IsWaitingForHuman(run, await _engine.Store.SummarizeAsync(runId, cancellationToken).ConfigureAwait(false));
        }
        // Idle: nothing anyone is running, nothing claimable now and nothing waiting out a backoff. Ready steps
        // of paused runs do not count: they wait for a user, not for this worker.
        var running = await _engine.Store.CountRunningAsync(cancellationToken).ConfigureAwait(false);
        if (running.Total > 0)
            return false;
        if ((await _engine.Store.ListClaimableAsync(Time.GetUtcNow(), 1, cancellationToken).ConfigureAwait(false)).Count > 0)
            return false;
        return await _engine.Store.NextBackoffAsync(cancellationToken).ConfigureAwait(false) is null;
    }

    private void StartAll(OrchestraEngine.Claims claims)
    {
        foreach (var step in claims.Claimed)
            Start(step, resume: false, claims.States.GetValueOrDefault(step.RunId));
    }

    /// <param name="step">The claimed or adopted step.</param>
    /// <param name="resume">True for work adopted from a lost worker.</param>
    /// <param name="state">The run's state as the claim saw it; null to read it when the step starts.</param>
    private void Start(StepRecord step, bool resume, JsonObject? state = null)
    {
        var execution = new Execution(step) { State = state };
        _inflight[step.Id] = execution;
        _started++;
        // An agent that only computes briefly before it awaits runs here, on the loop: a step that finishes at once is
        // recorded on the loop's next turn without two thread hand-offs.
        execution.Task = _engine.FindAgent(step.Agent) is { RunsInline: true }
            ? ExecuteAsync(execution, resume)
            : Task.Run(() => ExecuteAsync(execution, resume));
    }

    private async Task ExecuteAsync(Execution x, bool resume)
    {
        AgentResult result;
        try
        {
            result = await InvokeAsync(x, resume).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = AgentResult.Permanent($"the worker failed to run the step: {ex.Message}");
        }
        if (x.TimedOut && result.Outcome is AgentOutcome.Cancelled or AgentOutcome.TransientFailure or AgentOutcome.PermanentFailure)
            result = result with { Outcome = AgentOutcome.TimedOut, Error = $"timed out after {FormatTimeout(x.Step.Timeout)}" };
        x.DisposeTimer();
        _done.Enqueue(new Completion(x.Step, result, x.TakeEvents()));
        _signal.Release();
    }

    private static string FormatTimeout(TimeSpan? t) => t is { } v ? (v.TotalSeconds < 120 ? $"{v.TotalSeconds:0.###}s" : $"{v.TotalMinutes:0.#}m") : "its deadline";

    private async Task<AgentResult> InvokeAsync(Execution x, bool resume)
    {
        var step = x.Step;
        Agent? agent;
        try
        {
            agent = await _engine.FindAgentAsync(step, x.Cancellation.Token).ConfigureAwait(false);
        }
        catch (OrchestraException ex)
        {
            return AgentResult.Permanent(ex.Message);
        }
        if (agent is null)
            return AgentResult.Permanent($"unknown agent '{step.Agent}': define it in .orchestra/agents/{step.Agent}.yaml");
        x.Detached = agent.IsDetached;
        // The state the claim saw, copied so that an agent changing its context changes no other step's; read when the
        // step was adopted rather than claimed.
        var state = x.State is { } claimedState ? (JsonObject)claimedState.DeepClone()
            : (await _engine.Store.GetRunAsync(step.RunId).ConfigureAwait(false))?.State ?? [];
        if (step.DeadlineAt is { } deadline)
            x.ArmDeadline(Time, deadline);
        var workDirectory = _engine.Options.WorkDirectory;
        // Steps that share the work directory, nearly all of them, pay two comparisons here.
        IStepWorkspace? isolation = null;
        if (step.Input is not null || agent.Isolation != StepIsolation.None)
        {
            try
            {
                if (Isolation.For(step, agent) != StepIsolation.None)
                {
                    isolation = _engine.Options.StepWorkspace
                        ?? throw new OrchestraException("the step asks for its own worktree, but this engine has no step workspace: set EngineOptions.StepWorkspace.");
                    workDirectory = await isolation.PrepareAsync(step, x.Cancellation.Token).ConfigureAwait(false);
                }
            }
            catch (OrchestraException ex)
            {
                return AgentResult.Permanent(ex.Message);
            }
            catch (OperationCanceledException) when (x.Cancellation.IsCancellationRequested)
            {
                return AgentResult.Cancel();
            }
        }
        var context = new AgentContext(
            step,
            state,
            workDirectory,
            Time,
            e => Emit(x, e),
            (handle, ct) => SetHandleAsync(x, handle, ct),
            (id, ct) => _engine.Store.GetSessionAsync(id, ct));
        var result = resume
            ? await agent.ResumeAsync(context, x.Cancellation.Token).ConfigureAwait(false)
            : await agent.InvokeAsync(context, x.Cancellation.Token).ConfigureAwait(false);
        return isolation is not null && result.Outcome == AgentOutcome.Succeeded
            ? await RecordIsolatedWorkAsync(x, isolation, result).ConfigureAwait(false)
            : result;
    }

    /// <summary>Lets the step workspace record what a successful isolated step left (a commit), as the step's snapshot event.</summary>
    private async Task<AgentResult> RecordIsolatedWorkAsync(Execution x, IStepWorkspace isolation, AgentResult result)
    {
        try
        {
            var snapshot = await isolation.CompleteAsync(x.Step, result, x.Cancellation.Token).ConfigureAwait(false);
            if (snapshot is not null)
            {
                var e = new RunEvent { RunId = x.Step.RunId, StepId = x.Step.Id, Type = EventTypes.StepSnapshot, At = Time.GetUtcNow(), Data = snapshot };
                // Stored with the result, in the checkpoint's transaction.
                x.AddEvent(e);
                _engine.Events.Publish(e);
            }
            return result;
        }
        catch (OrchestraException ex)
        {
            return AgentResult.Permanent($"the step's work could not be recorded: {ex.Message}", result.Usage);
        }
        catch (OperationCanceledException) when (x.Cancellation.IsCancellationRequested)
        {
            return AgentResult.Cancel(usage: result.Usage);
        }
    }

    private async ValueTask SetHandleAsync(Execution x, string handle, CancellationToken cancellationToken)
    {
        // The lease is gone (cancelled or reclaimed): stop the work, whose result would be refused anyway.
        if (!await _engine.SetHandleAsync(Id, new HeldLease(x.Step.Id, x.Step.Attempt), handle, cancellationToken).ConfigureAwait(false))
            await x.Cancellation.CancelAsync().ConfigureAwait(false);
    }

    private void Emit(Execution x, AgentEvent agentEvent)
    {
        // Partial output is only streamed: with nobody listening there is nothing to do, and the agent hands over a
        // fresh object per delta, so it need not be copied on this hot path.
        if (!agentEvent.Persist && !_engine.Events.HasSubscribers)
            return;
        var data = agentEvent.Data is null ? new JsonObject()
            : agentEvent.Persist ? (JsonObject)agentEvent.Data.DeepClone()
            : agentEvent.Data;
        data["kind"] = agentEvent.Kind;
        var e = new RunEvent
        {
            RunId = x.Step.RunId,
            StepId = x.Step.Id,
            Type = agentEvent.Persist ? EventTypes.Agent : EventTypes.Delta,
            At = Time.GetUtcNow(),
            Data = data,
        };
        if (agentEvent.Persist)
            x.AddEvent(e);
        _engine.Events.Publish(e);
    }

    /// <summary>Records finished attempts and claims new work in one transaction; null when nothing had finished.</summary>
    private async Task<IReadOnlyList<StepRecord>?> FlushCompletionsAndClaimAsync(CancellationToken cancellationToken)
    {
        if (_done.IsEmpty)
            return null;
        var batch = new List<Completion>();
        while (_done.TryDequeue(out var c))
            batch.Add(c);
        var free = _options.Parallelism - (_inflight.Count - batch.Count);
        var (outcomes, claims) = await _engine.CompleteAndClaimWithStatesAsync(batch, Id, free, _options.RunId, cancellationToken).ConfigureAwait(false);
        Record(batch, outcomes);
        StartAll(claims);
        return claims.Claimed;
    }

    private void Record(List<Completion> batch, IReadOnlyList<CompletionOutcome> outcomes)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _inflight.Remove(batch[i].Step.Id);
            if (outcomes[i] == CompletionOutcome.Fenced) _fenced++;
            else if (batch[i].Result.Outcome == AgentOutcome.Succeeded) _succeeded++;
            else
            {
                _unsuccessful++;
                // It may have been put back to wait out a backoff.
                _backoffChecked = false;
            }
        }
    }

    /// <summary>
    /// The earliest time a step waiting out its retry backoff becomes claimable. Asked of the store after this worker
    /// recorded a failure, once the backoff it knows of has passed, and otherwise once per poll interval (for
    /// failures recorded by other workers) — not on every turn of the loop.
    /// </summary>
    private async ValueTask<DateTimeOffset?> NextBackoffAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_backoffChecked || now >= _backoffRecheckAt || _knownBackoff is { } known && known <= now)
        {
            _knownBackoff = await _engine.Store.NextBackoffAsync(cancellationToken).ConfigureAwait(false);
            _backoffChecked = true;
            _backoffRecheckAt = now + _options.PollInterval;
        }
        return _knownBackoff;
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        if (_inflight.Count == 0)
            return;
        var executions = _inflight.Values.ToList();
        var events = executions.SelectMany(x => x.TakeEvents()).ToList();
        var statuses = await _engine.HeartbeatAsync(Id, executions.Select(x => new HeldLease(x.Step.Id, x.Step.Attempt)).ToList(), events, cancellationToken).ConfigureAwait(false);
        foreach (var status in statuses)
        {
            if (!_inflight.TryGetValue(status.StepId, out var x))
                continue;
            if (!status.Owned)
            {
                // Cancelled by a user or reclaimed: stop the agent; its result will be refused.
                await x.Cancellation.CancelAsync().ConfigureAwait(false);
            }
            else if (status.DeadlineAt != x.Step.DeadlineAt && status.DeadlineAt is { } deadline)
            {
                x.Step = x.Step with { DeadlineAt = deadline };
                x.ArmDeadline(Time, deadline);
            }
        }
    }

    private async Task StopAsync()
    {
        // Detached work (process groups) keeps running for the next worker to adopt; in-process agents are
        // cancelled and their leases handed back without counting the attempt.
        var local = _inflight.Values.Where(x => !x.Detached).ToList();
        foreach (var x in local)
            x.Stopping = true;
        foreach (var x in local)
            await x.Cancellation.CancelAsync().ConfigureAwait(false);
        var all = Task.WhenAll(local.Select(x => x.Task ?? Task.CompletedTask));
        await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace, Time)).ConfigureAwait(false);

        var release = new List<HeldLease>();
        var complete = new List<Completion>();
        while (_done.TryDequeue(out var c))
        {
            if (_inflight.TryGetValue(c.Step.Id, out var x) && x.Stopping && c.Result.Outcome == AgentOutcome.Cancelled)
                release.Add(new HeldLease(c.Step.Id, c.Step.Attempt));
            else
                complete.Add(c);
            _inflight.Remove(c.Step.Id);
        }
        try
        {
            if (complete.Count > 0)
                await _engine.CompleteManyAsync(complete).ConfigureAwait(false);
            if (release.Count > 0)
                await _engine.ReleaseAsync(Id, release).ConfigureAwait(false);
        }
        catch (OrchestraException)
        {
            // The store is unavailable: the leases expire and another worker reclaims the steps.
        }
        foreach (var x in _inflight.Values)
            x.DisposeTimer();
    }

    private sealed class Execution(StepRecord step)
    {
        private readonly Lock _lock = new();
        private List<RunEvent> _events = [];
        private ITimer? _deadline;

        public StepRecord Step { get; set; } = step;
        public JsonObject? State { get; init; }
        public CancellationTokenSource Cancellation { get; } = new();
        public Task? Task { get; set; }
        public volatile bool TimedOut;
        public volatile bool Detached;
        public volatile bool Stopping;

        public void ArmDeadline(TimeProvider time, DateTimeOffset deadline)
        {
            var due = deadline - time.GetUtcNow();
            if (due < TimeSpan.Zero) due = TimeSpan.Zero;
            lock (_lock)
            {
                _deadline?.Dispose();
                _deadline = time.CreateTimer(_ =>
                {
                    TimedOut = true;
                    try { Cancellation.Cancel(); } catch (ObjectDisposedException) { }
                }, null, due, Timeout.InfiniteTimeSpan);
            }
        }

        public void DisposeTimer()
        {
            lock (_lock)
            {
                _deadline?.Dispose();
                _deadline = null;
            }
        }

        public void AddEvent(RunEvent e)
        {
            lock (_lock)
                _events.Add(e);
        }

        public List<RunEvent> TakeEvents()
        {
            lock (_lock)
            {
                var taken = _events;
                _events = [];
                return taken;
            }
        }
    }
}
