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
        var expired = (await Store.ListExpiredLeasesAsync(now, cancellationToken).ConfigureAwait(false)).ToList();
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
            var agent = FindAgent(step.Agent);
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
            if (result is null)
            {
                result = AgentResult.Transient(step.Handle is null
                    ? $"the worker running attempt {step.Attempt} stopped ({step.LeaseOwner})"
                    : $"the process of attempt {step.Attempt} ended without leaving a result");
                lost++;
            }
            else
            {
                finished++;
            }
            await TransactAsync(tx => ApplyCompletionAsync(tx, new Completion(step, result), step.LeaseOwner, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        return new ReclaimReport { Adopted = adopted, Finished = finished, Lost = lost };
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
