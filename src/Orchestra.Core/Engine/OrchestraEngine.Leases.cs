using System.Text.Json.Nodes;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>A worker's view of one of its leases after a heartbeat.</summary>
/// <param name="StepId">The step.</param>
/// <param name="Owned">False when the lease was lost: the step was cancelled, reclaimed or finished elsewhere.</param>
/// <param name="DeadlineAt">The step's current deadline (a user may have changed its timeout).</param>
public readonly record struct LeaseStatus(string StepId, bool Owned, DateTimeOffset? DeadlineAt);

/// <summary>A lease a worker holds: the step id and the attempt that is the fencing token.</summary>
/// <param name="StepId">The step.</param>
/// <param name="Attempt">The attempt number the lease was granted for.</param>
public readonly record struct HeldLease(string StepId, int Attempt);

public sealed partial class OrchestraEngine
{
    /// <summary>
    /// Claims up to <paramref name="slots"/> ready steps for <paramref name="workerId"/>, highest priority
    /// first then first-in first-out, within the global, per-agent and per-run limits. Each claimed step
    /// is running under a new attempt number with a lease that expires unless renewed.
    /// </summary>
    public ValueTask<IReadOnlyList<StepRecord>> ClaimAsync(string workerId, int slots, CancellationToken cancellationToken = default) =>
        ClaimAsync(workerId, slots, null, cancellationToken);

    /// <summary>Claims like <see cref="ClaimAsync(string, int, CancellationToken)"/>, only among the steps of <paramref name="runId"/> when it is not null.</summary>
    public async ValueTask<IReadOnlyList<StepRecord>> ClaimAsync(string workerId, int slots, string? runId, CancellationToken cancellationToken = default) =>
        (await ClaimWithStatesAsync(workerId, slots, runId, cancellationToken).ConfigureAwait(false)).Claimed;

    /// <summary>Claims like <see cref="ClaimAsync(string, int, string, CancellationToken)"/>; also the state of each claimed step's run as the claim left it.</summary>
    internal async ValueTask<Claims> ClaimWithStatesAsync(string workerId, int slots, string? runId, CancellationToken cancellationToken)
    {
        if (slots <= 0)
            return Claims.None;
        return await TransactAsync(async tx =>
        {
            var claimed = await ClaimInAsync(tx, workerId, slots, runId, cancellationToken).ConfigureAwait(false);
            return new Claims(claimed, await StatesOfAsync(tx, claimed, cancellationToken).ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Steps just claimed, and the state of their runs in the claiming transaction, by run id.</summary>
    internal sealed record Claims(IReadOnlyList<StepRecord> Claimed, IReadOnlyDictionary<string, JsonObject> States)
    {
        public static readonly Claims None = new([], new Dictionary<string, JsonObject>());
    }

    private static async ValueTask<IReadOnlyDictionary<string, JsonObject>> StatesOfAsync(Tx tx, List<StepRecord> claimed, CancellationToken ct)
    {
        var states = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var step in claimed)
        {
            if (!states.ContainsKey(step.RunId))
                states[step.RunId] = (await tx.RunAsync(step.RunId, ct).ConfigureAwait(false)).State;
        }
        return states;
    }

    /// <summary>
    /// Records finished attempts and claims new work in one transaction: what a busy worker does on every
    /// turn of its loop, at the cost of one commit instead of two.
    /// </summary>
    public ValueTask<(IReadOnlyList<CompletionOutcome> Outcomes, IReadOnlyList<StepRecord> Claimed)> CompleteAndClaimAsync(
        IReadOnlyList<Completion> completions, string workerId, int slots, CancellationToken cancellationToken = default) =>
        CompleteAndClaimAsync(completions, workerId, slots, null, cancellationToken);

    /// <summary>Like <see cref="CompleteAndClaimAsync(IReadOnlyList{Completion}, string, int, CancellationToken)"/>, claiming only among the steps of <paramref name="runId"/> when it is not null.</summary>
    public async ValueTask<(IReadOnlyList<CompletionOutcome> Outcomes, IReadOnlyList<StepRecord> Claimed)> CompleteAndClaimAsync(
        IReadOnlyList<Completion> completions, string workerId, int slots, string? runId, CancellationToken cancellationToken = default)
    {
        var (outcomes, claims) = await CompleteAndClaimWithStatesAsync(completions, workerId, slots, runId, cancellationToken).ConfigureAwait(false);
        return (outcomes, claims.Claimed);
    }

    /// <summary>Completes and claims like <see cref="CompleteAndClaimAsync(IReadOnlyList{Completion}, string, int, string, CancellationToken)"/>; also the claimed runs' states.</summary>
    internal async ValueTask<(IReadOnlyList<CompletionOutcome> Outcomes, Claims Claims)> CompleteAndClaimWithStatesAsync(
        IReadOnlyList<Completion> completions, string workerId, int slots, string? runId, CancellationToken cancellationToken)
    {
        try
        {
            return await TransactAsync(async tx =>
            {
                var outcomes = new CompletionOutcome[completions.Count];
                for (var i = 0; i < completions.Count; i++)
                    outcomes[i] = await ApplyCompletionAsync(tx, completions[i], completions[i].Step.LeaseOwner, cancellationToken).ConfigureAwait(false);
                if (slots <= 0)
                    return ((IReadOnlyList<CompletionOutcome>)outcomes, Claims.None);
                var claimed = await ClaimInAsync(tx, workerId, slots, runId, cancellationToken).ConfigureAwait(false);
                return ((IReadOnlyList<CompletionOutcome>)outcomes, new Claims(claimed, await StatesOfAsync(tx, claimed, cancellationToken).ConfigureAwait(false)));
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && ex is not OrchestraException { Kind: ErrorKind.Environment })
        {
            // One bad completion must not hold up the others: record them one by one, then claim.
            var outcomes = await CompleteManyAsync(completions, cancellationToken).ConfigureAwait(false);
            return (outcomes, await ClaimWithStatesAsync(workerId, slots, runId, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async ValueTask<IReadOnlyList<StepRecord>> ClaimableOfRunAsync(Tx tx, string runId, int limit, CancellationToken ct)
    {
        if (await tx.FindRunAsync(runId, ct).ConfigureAwait(false) is not { Status: not RunStatus.Paused })
            return [];
        var ready = await tx.Store.ListStepsAsync(new StepQuery { RunId = runId, Statuses = [StepStatus.Ready] }, ct).ConfigureAwait(false);
        return ready.Where(s => s.NotBefore is not { } nb || nb <= tx.Now)
            .OrderByDescending(s => s.Priority).ThenBy(s => s.Seq).Take(limit).ToList();
    }

    private async ValueTask<List<StepRecord>> ClaimInAsync(Tx tx, string workerId, int slots, string? runId, CancellationToken ct)
    {
        var candidates = runId is null
            ? await tx.Store.ListClaimableAsync(tx.Now, slots * 4 + 16, ct).ConfigureAwait(false)
            : await ClaimableOfRunAsync(tx, runId, slots * 4 + 16, ct).ConfigureAwait(false);
        if (candidates.Count == 0)
            return [];
        var running = await tx.Store.CountRunningAsync(ct).ConfigureAwait(false);
        var runs = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var id in candidates.Select(c => c.RunId).Distinct())
            runs[id] = (await tx.RunAsync(id, ct).ConfigureAwait(false)).MaxParallel;
        var chosen = Scheduler.Select(candidates, running, slots, Limits(r => runs.GetValueOrDefault(r)));
        var claimed = new List<StepRecord>(chosen.Count);
        foreach (var step in chosen)
        {
            var attempt = step.Attempt + 1;
            var updated = step with
            {
                Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Running),
                Attempt = attempt,
                LeaseOwner = workerId,
                LeaseExpiresAt = tx.Now + Options.LeaseDuration,
                StartedAt = step.StartedAt ?? tx.Now,
                AttemptStartedAt = tx.Now,
                DeadlineAt = step.Timeout is { } t ? tx.Now + t : null,
                NotBefore = null,
                Handle = null,
            };
            await tx.Store.UpdateStepAsync(updated, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StepStarted, step.RunId, step.Id, new JsonObject { ["name"] = step.Name, ["agent"] = step.Agent, ["attempt"] = attempt, ["worker"] = workerId }, ct).ConfigureAwait(false);
            var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
            if (run.Status is not RunStatus.Running)
                await tx.SetRunStatusAsync(run, RunStatus.Running, null, ct).ConfigureAwait(false);
            claimed.Add(updated);
        }
        return claimed;
    }

    /// <summary>
    /// Renews the leases a worker holds and stores the events its agents reported since the last beat.
    /// A lease whose step is no longer running under that attempt and owner comes back not owned.
    /// </summary>
    public async ValueTask<IReadOnlyList<LeaseStatus>> HeartbeatAsync(string workerId, IReadOnlyList<HeldLease> leases, IReadOnlyList<RunEvent>? events = null, CancellationToken cancellationToken = default)
    {
        return await TransactAsync(async tx =>
        {
            var result = new List<LeaseStatus>(leases.Count);
            foreach (var lease in leases)
            {
                var step = await tx.Store.GetStepAsync(lease.StepId, cancellationToken).ConfigureAwait(false);
                if (!Holds(step, workerId, lease.Attempt))
                {
                    result.Add(new LeaseStatus(lease.StepId, false, null));
                    continue;
                }
                await tx.Store.UpdateStepAsync(step! with { LeaseExpiresAt = tx.Now + Options.LeaseDuration }, cancellationToken).ConfigureAwait(false);
                result.Add(new LeaseStatus(lease.StepId, true, step!.DeadlineAt));
            }
            foreach (var e in events ?? [])
                await tx.AppendAsync(e.Type, e.RunId, e.StepId, e.Data, cancellationToken, e.At, publish: false).ConfigureAwait(false);
            return (IReadOnlyList<LeaseStatus>)result;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Durably records a handle to external work (a process id) for a running attempt, so that the work can
    /// be found again after a crash. Returns false when the lease is no longer held.
    /// </summary>
    public async ValueTask<bool> SetHandleAsync(string workerId, HeldLease lease, string handle, CancellationToken cancellationToken = default)
    {
        return await TransactAsync(async tx =>
        {
            var step = await tx.Store.GetStepAsync(lease.StepId, cancellationToken).ConfigureAwait(false);
            if (!Holds(step, workerId, lease.Attempt))
                return false;
            await tx.Store.UpdateStepAsync(step! with { Handle = handle }, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives leases back without counting the attempt: used when a worker shuts down while in-process agents
    /// are still working. The steps become ready again at once.
    /// </summary>
    public async ValueTask ReleaseAsync(string workerId, IReadOnlyList<HeldLease> leases, CancellationToken cancellationToken = default)
    {
        await TransactAsync(async tx =>
        {
            foreach (var lease in leases)
            {
                var step = await tx.Store.GetStepAsync(lease.StepId, cancellationToken).ConfigureAwait(false);
                if (!Holds(step, workerId, lease.Attempt))
                    continue;
                // The attempt number stays: it is the fencing token and must never be reused.
                await tx.Store.UpdateStepAsync(step! with
                {
                    Status = StepStatus.Ready,
                    MaxAttempts = step.MaxAttempts + 1,
                    LeaseOwner = null,
                    LeaseExpiresAt = null,
                    Handle = null,
                }, cancellationToken).ConfigureAwait(false);
                await tx.AppendAsync(EventTypes.StepReady, step.RunId, step.Id, new JsonObject { ["reason"] = "worker stopped" }, cancellationToken).ConfigureAwait(false);
            }
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool Holds(StepRecord? step, string workerId, int attempt) =>
        step is not null && step.Status == StepStatus.Running && step.Attempt == attempt
        && string.Equals(step.LeaseOwner, workerId, StringComparison.Ordinal);
}
