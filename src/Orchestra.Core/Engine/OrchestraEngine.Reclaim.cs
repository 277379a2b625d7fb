using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>What a reclaim pass did.</summary>
public sealed record ReclaimReport
{
    /// <summary>Steps whose external work is still going and which the calling worker now holds; it should resume them.</summary>
    public IReadOnlyList<StepRecord> Adopted { get; init; } = [];

    /// <summary>Steps finished from what their external work left behind (sentinel files, exit codes).</summary>
    public int Finished { get; init; }

    /// <summary>Steps whose worker was lost: retried as a new attempt, or failed when out of attempts.</summary>
    public int Lost { get; init; }
}

public sealed partial class OrchestraEngine
{
    /// <summary>
    /// Finds running steps whose worker is gone (lease expired, or the owner is known to be dead) and
    /// settles them: external work that finished is recorded, external work still going is adopted by
    /// <paramref name="adopter"/> (or left alone when it is null, as a read-only command does), and
    /// anything else is a lost attempt, retried if attempts remain.
    /// </summary>
    public async ValueTask<ReclaimReport> ReclaimAsync(string? adopter, CancellationToken cancellationToken = default)
    {
        var now = Time.GetUtcNow();
        // A worker never reclaims its own leases: those steps are in flight in it, merely late to heartbeat.
        var expired = (await Store.ListExpiredLeasesAsync(now, cancellationToken).ConfigureAwait(false))
            .Where(s => adopter is null || s.LeaseOwner != adopter).ToList();
        var running = await Store.ListStepsAsync(new StepQuery { Statuses = [StepStatus.Running] }, cancellationToken).ConfigureAwait(false);
        foreach (var s in running)
        {
            if (s.LeaseOwner is { } owner && owner != adopter && !expired.Any(e => e.Id == s.Id) && !Options.IsWorkerAlive(owner))
                expired.Add(s);
        }
        // A detached process past its deadline is ended even while its worker is away.
        foreach (var s in running)
        {
            if (s.Handle is not null && s.DeadlineAt is { } d && d < now && !expired.Any(e => e.Id == s.Id) && !Options.IsWorkerAlive(s.LeaseOwner ?? ""))
                expired.Add(s);
        }

        var adopted = new List<StepRecord>();
        int finished = 0, lost = 0;
        foreach (var step in expired)
        {
            Agent? agent;
            try
            {
                agent = await FindAgentAsync(step, cancellationToken).ConfigureAwait(false);
            }
            catch (OrchestraException)
            {
                // The run's graph cannot be resolved here (its file changed): leave the step as it is for a process
                // that can, rather than settle work this one cannot look at.
                continue;
            }
            AgentResult? result = null;
            // A detached agent is asked even without a recorded handle: its worker may have died after starting the
            // work and before recording it, and the work must be found rather than started a second time.
            if (agent is not null && (step.Handle is not null || agent.IsDetached))
            {
                var found = await agent.ReconcileAsync(step, cancellationToken).ConfigureAwait(false);
                var handle = found.Handle ?? step.Handle;
                if (found.Status == ReconcileStatus.Finished)
                {
                    result = found.Result;
                }
                else if (found.Status == ReconcileStatus.StillRunning && handle is not null)
                {
                    if (step.DeadlineAt is { } deadline && deadline < now)
                    {
                        await agent.TerminateAsync(handle, cancellationToken).ConfigureAwait(false);
                        result = AgentResult.Timeout($"timed out after {step.Timeout?.TotalSeconds ?? 0:0.#}s");
                    }
                    else
                    {
                        if (adopter is not null && await AdoptAsync(step, adopter, handle, cancellationToken).ConfigureAwait(false) is { } taken)
                            adopted.Add(taken);
                        continue;
                    }
                }
            }
            if (result is null && step.Handle is null)
            {
                if (await RequeueLostAsync(step, cancellationToken).ConfigureAwait(false))
                    lost++;
                continue;
            }
            result ??= AgentResult.Transient($"the process of attempt {step.Attempt} ended without leaving a result");
            var outcome = await TransactAsync(async tx =>
                await StillAbandonedAsync(tx, step, cancellationToken).ConfigureAwait(false)
                    ? await ApplyCompletionAsync(tx, new Completion(step, result), step.LeaseOwner, cancellationToken).ConfigureAwait(false)
                    : CompletionOutcome.Fenced, cancellationToken).ConfigureAwait(false);
            if (outcome == CompletionOutcome.Recorded)
                finished++;
        }
        return new ReclaimReport { Adopted = adopted, Finished = finished, Lost = lost };
    }

    /// <summary>Attempts lost to a dead worker that are not counted against a step's attempts.</summary>
    public const int MaxLostAttempts = 5;

    /// <summary>True when, inside the transaction, the step is still held by the same attempt of a worker that is gone.</summary>
    private async ValueTask<bool> StillAbandonedAsync(Tx tx, StepRecord seen, CancellationToken ct)
    {
        var current = await tx.Store.GetStepAsync(seen.Id, ct).ConfigureAwait(false);
        if (!Holds(current, seen.LeaseOwner ?? "", seen.Attempt))
            return false;
        // A late heartbeat may have renewed the lease since the step was listed.
        var expired = current!.LeaseExpiresAt is not { } until || until < tx.Now;
        var overdue = current.Handle is not null && current.DeadlineAt is { } deadline && deadline < tx.Now;
        return expired || overdue || !Options.IsWorkerAlive(current.LeaseOwner ?? "");
    }

    /// <summary>
    /// Puts a step whose worker died back in the queue at once. The orchestrator's crash is not the step's
    /// failure, so the attempt is not counted, up to <see cref="MaxLostAttempts"/> times; after that it is.
    /// </summary>
    private async ValueTask<bool> RequeueLostAsync(StepRecord step, CancellationToken ct)
    {
        var error = $"the worker running attempt {step.Attempt} stopped ({step.LeaseOwner})";
        return await TransactAsync(async tx =>
        {
            if (!await StillAbandonedAsync(tx, step, ct).ConfigureAwait(false))
                return false;
            var current = (await tx.Store.GetStepAsync(step.Id, ct).ConfigureAwait(false))!;
            if (current.LostAttempts >= MaxLostAttempts)
                return await ApplyCompletionAsync(tx, new Completion(current, AgentResult.Transient(error)), current.LeaseOwner, ct).ConfigureAwait(false) == CompletionOutcome.Recorded;
            var requeued = current with
            {
                Status = Transitions.Ensure(current.Id, current.Status, StepStatus.Ready),
                LostAttempts = current.LostAttempts + 1,
                MaxAttempts = current.MaxAttempts + 1,
                LeaseOwner = null,
                LeaseExpiresAt = null,
                Error = error,
                FailureKind = FailureKind.Transient,
                NotBefore = null,
            };
            await tx.Store.UpdateStepAsync(requeued, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StepRetrying, step.RunId, step.Id, new JsonObject
            {
                ["name"] = step.Name,
                ["agent"] = step.Agent,
                ["attempt"] = step.Attempt,
                ["error"] = error,
                ["delay_ms"] = 0,
                ["lost"] = true,
            }, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    }

    private async ValueTask<StepRecord?> AdoptAsync(StepRecord step, string adopter, string handle, CancellationToken ct)
    {
        return await TransactAsync(async tx =>
        {
            var current = await tx.Store.GetStepAsync(step.Id, ct).ConfigureAwait(false);
            if (!Holds(current, step.LeaseOwner ?? "", step.Attempt))
                return null;
            var taken = current! with { LeaseOwner = adopter, LeaseExpiresAt = tx.Now + Options.LeaseDuration, Handle = handle };
            await tx.Store.UpdateStepAsync(taken, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.Agent, step.RunId, step.Id, new JsonObject { ["kind"] = "adopted", ["worker"] = adopter, ["previous"] = step.LeaseOwner }, ct).ConfigureAwait(false);
            return taken;
        }, ct).ConfigureAwait(false);
    }
}
