using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

public sealed partial class OrchestraEngine
{
    /// <summary>
    /// Cancels a step (with its dependants) or a whole run. Running work is stopped: its worker loses the
    /// lease at its next heartbeat, and external work (a process tree) is terminated here at once.
    /// Returns the steps that were cancelled.
    /// </summary>
    /// <exception cref="OrchestraException">The id does not exist or is already finished.</exception>
    public async ValueTask<IReadOnlyList<StepRecord>> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        var cancelled = await TransactAsync(async tx =>
        {
            if (Ids.IsRun(id))
            {
                var run = await tx.Store.GetRunAsync(id, cancellationToken).ConfigureAwait(false)
                    ?? throw new OrchestraException($"No run {id}: see 'orchestra status --all'.", ErrorKind.NotFound);
                if (run.Status.IsTerminal())
                    throw new OrchestraException($"Run {id} is already {run.Status.ToWire()}.", ErrorKind.Conflict);
                var steps = await CancelOpenStepsAsync(tx, id, "cancelled by user", cancellationToken).ConfigureAwait(false);
                tx.Checkpoint(id, CheckpointReasons.Cancelled);
                run = await tx.RunAsync(id, cancellationToken).ConfigureAwait(false);
                await tx.SetRunStatusAsync(run, RunStatus.Cancelled, "cancelled by user", cancellationToken).ConfigureAwait(false);
                return steps;
            }
            var step = await tx.Store.GetStepAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"No step {id}: see 'orchestra status --all'.", ErrorKind.NotFound);
            if (step.Status.IsTerminal())
                throw new OrchestraException($"Step {id} is already {step.Status.ToWire()}.", ErrorKind.Conflict);
            var done = step with
            {
                Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Cancelled),
                Error = "cancelled by user",
                FailureKind = FailureKind.Cancelled,
                LeaseOwner = null,
                LeaseExpiresAt = null,
                FinishedAt = tx.Now,
            };
            await tx.Store.UpdateStepAsync(done, cancellationToken).ConfigureAwait(false);
            await AppendFinishedAsync(tx, done, cancellationToken).ConfigureAwait(false);
            await PropagateFailureAsync(tx, done, cancellationToken).ConfigureAwait(false);
            await FinalizeRunIfDoneAsync(tx, step.RunId, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(step.RunId, CheckpointReasons.Cancelled, step);
            return new List<StepRecord> { step };
        }, cancellationToken).ConfigureAwait(false);

        foreach (var s in cancelled.Where(s => s.Status == StepStatus.Running && s.Handle is not null))
        {
            Agent? agent;
            try
            {
                agent = await FindAgentAsync(s, cancellationToken).ConfigureAwait(false);
            }
            catch (OrchestraException)
            {
                // The run's graph cannot be resolved (its file changed): its agent is unknown here.
                agent = null;
            }
            if (agent is not null)
                await agent.TerminateAsync(s.Handle!, cancellationToken).ConfigureAwait(false);
        }
        return cancelled;
    }

    /// <summary>
    /// Gives a failed, timed-out, cancelled or skipped step <paramref name="attempts"/> more attempts; the
    /// dependants it had settled go back to waiting for it. Reopens a finished run.
    /// </summary>
    /// <exception cref="OrchestraException">The step does not exist or has not finished unsuccessfully.</exception>
    public async ValueTask<StepRecord> RetryAsync(string stepId, int attempts = 1, CancellationToken cancellationToken = default)
    {
        if (attempts < 1)
            throw new OrchestraException("Retry needs at least one attempt.");
        return await TransactAsync(async tx =>
        {
            var step = await tx.Store.GetStepAsync(stepId, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"No step {stepId}: see 'orchestra status --all'.", ErrorKind.NotFound);
            if (!step.Status.IsUnsuccessful())
                throw new OrchestraException($"Step {stepId} is {step.Status.ToWire()}: only failed, timed-out, cancelled or skipped steps can be retried.", ErrorKind.Conflict);
            var reopened = await ReopenAsync(tx, step, attempts, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(step.RunId, CheckpointReasons.Retry, step);

            // Dependants settled because of this step wait for it again.
            var queue = new Queue<string>([step.Id]);
            while (queue.Count > 0)
            {
                foreach (var id in await tx.Store.GetDependantsAsync(queue.Dequeue(), cancellationToken).ConfigureAwait(false))
                {
                    var d = await tx.Store.GetStepAsync(id, cancellationToken).ConfigureAwait(false);
                    if (d is null || d.Status is not (StepStatus.Failed or StepStatus.Skipped or StepStatus.Cancelled)
                        || d.FailureKind is not (FailureKind.Dependency or FailureKind.Cancelled) || d.Attempt > 0)
                        continue;
                    await ReopenAsync(tx, d, 0, cancellationToken).ConfigureAwait(false);
                    queue.Enqueue(d.Id);
                }
            }
            var run = await tx.RunAsync(step.RunId, cancellationToken).ConfigureAwait(false);
            if (run.Status.IsTerminal())
                await tx.SaveRunAsync(run with { Error = null }, cancellationToken).ConfigureAwait(false);
            run = await tx.RunAsync(step.RunId, cancellationToken).ConfigureAwait(false);
            if (run.Status != RunStatus.Running)
                await tx.SetRunStatusAsync(run, RunStatus.Running, null, cancellationToken).ConfigureAwait(false);
            return reopened;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<StepRecord> ReopenAsync(Tx tx, StepRecord step, int extraAttempts, CancellationToken ct)
    {
        var pending = 0;
        foreach (var dep in step.DependsOn)
        {
            var d = await tx.Store.GetStepAsync(dep, ct).ConfigureAwait(false);
            if (d is not null && d.Status != StepStatus.Succeeded)
                pending++;
        }
        var status = pending == 0 ? StepStatus.Ready : StepStatus.Pending;
        var reopened = step with
        {
            Status = Transitions.Ensure(step.Id, step.Status, status),
            PendingDependencies = pending,
            MaxAttempts = Math.Max(step.MaxAttempts, step.Attempt + extraAttempts),
            Error = null,
            FailureKind = FailureKind.None,
            FinishedAt = null,
            NotBefore = null,
            Handle = null,
        };
        await tx.Store.UpdateStepAsync(reopened, ct).ConfigureAwait(false);
        await tx.AppendAsync(status == StepStatus.Ready ? EventTypes.StepReady : EventTypes.StepCreated, step.RunId, step.Id, new JsonObject { ["reason"] = "retry" }, ct).ConfigureAwait(false);
        return reopened;
    }

    /// <summary>Changes a step's timeout; a running attempt's deadline moves with it.</summary>
    /// <exception cref="OrchestraException">The step does not exist, is finished, or the timeout is not positive.</exception>
    public async ValueTask<StepRecord> SetTimeoutAsync(string stepId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout <= TimeSpan.Zero)
            throw new OrchestraException("The timeout must be positive, for example 30m.");
        return await TransactAsync(async tx =>
        {
            var step = await tx.Store.GetStepAsync(stepId, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"No step {stepId}: see 'orchestra status --all'.", ErrorKind.NotFound);
            if (step.Status.IsTerminal())
                throw new OrchestraException($"Step {stepId} is already {step.Status.ToWire()}.", ErrorKind.Conflict);
            var updated = step with
            {
                Timeout = timeout,
                DeadlineAt = step.Status == StepStatus.Running ? (step.AttemptStartedAt ?? tx.Now) + timeout : null,
            };
            await tx.Store.UpdateStepAsync(updated, cancellationToken).ConfigureAwait(false);
            return updated;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pauses a run (no new step of it is claimed) or resumes it.</summary>
    public async ValueTask<RunRecord> SetPausedAsync(string runId, bool paused, CancellationToken cancellationToken = default)
    {
        return await TransactAsync(async tx =>
        {
            var run = await tx.Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"No run {runId}.", ErrorKind.NotFound);
            if (run.Status.IsTerminal())
                throw new OrchestraException($"Run {runId} is already {run.Status.ToWire()}.", ErrorKind.Conflict);
            await tx.SetRunStatusAsync(run, paused ? RunStatus.Paused : RunStatus.Running, null, cancellationToken).ConfigureAwait(false);
            return await tx.RunAsync(runId, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes finished runs (every step terminal) that finished before <paramref name="before"/>; returns their ids.</summary>
    public async ValueTask<IReadOnlyList<RunRecord>> DeleteFinishedRunsAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        var runs = await Store.ListRunsAsync(int.MaxValue, cancellationToken).ConfigureAwait(false);
        var deleted = new List<RunRecord>();
        foreach (var run in runs.Where(r => r.Status.IsTerminal() && r.FinishedAt is { } f && f < before))
        {
            var removed = await TransactAsync(async tx =>
            {
                var current = await tx.Store.GetRunAsync(run.Id, cancellationToken).ConfigureAwait(false);
                if (current is null || !current.Status.IsTerminal() || await tx.Store.HasOpenStepsAsync(run.Id, cancellationToken).ConfigureAwait(false))
                    return false;
                await tx.Store.DeleteRunAsync(run.Id, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            if (removed)
                deleted.Add(run);
        }
        return deleted;
    }
}
