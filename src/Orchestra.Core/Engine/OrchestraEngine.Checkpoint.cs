using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.State;

namespace Orchestra.Core.Engine;

/// <summary>A finished attempt to record.</summary>
/// <param name="Step">The step as it was claimed (its attempt and lease owner are the fencing token).</param>
/// <param name="Result">What the agent returned.</param>
/// <param name="Events">Agent events not yet stored.</param>
public sealed record Completion(StepRecord Step, AgentResult Result, IReadOnlyList<RunEvent>? Events = null);

/// <summary>What recording a completion did.</summary>
public enum CompletionOutcome
{
    /// <summary>Recorded.</summary>
    Recorded,
    /// <summary>Refused: the attempt no longer holds the step (a stale worker's late result).</summary>
    Fenced,
}

public sealed partial class OrchestraEngine
{
    /// <summary>
    /// Records one attempt's result as a checkpoint, in one transaction: the step's new status and output,
    /// the state delta through the reducers, the dependants made ready (or failed), the graph steps its
    /// edges create, the events, and the run's status. A result from an attempt that no longer holds the
    /// step is refused.
    /// </summary>
    public async ValueTask<CompletionOutcome> CompleteAsync(Completion completion, CancellationToken cancellationToken = default) =>
        (await CompleteManyAsync([completion], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Records several completions in one transaction (group commit). When the batch fails as a whole, each
    /// completion is retried in a transaction of its own so that one bad completion cannot hold up the others.
    /// </summary>
    public async ValueTask<IReadOnlyList<CompletionOutcome>> CompleteManyAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken = default)
    {
        try
        {
            return await TransactAsync(async tx =>
            {
                var outcomes = new CompletionOutcome[completions.Count];
                for (var i = 0; i < completions.Count; i++)
                    outcomes[i] = await ApplyCompletionAsync(tx, completions[i], completions[i].Step.LeaseOwner, cancellationToken).ConfigureAwait(false);
                return (IReadOnlyList<CompletionOutcome>)outcomes;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (completions.Count > 1 && ex is not OperationCanceledException && ex is not OrchestraException { Kind: ErrorKind.Environment })
        {
            var outcomes = new CompletionOutcome[completions.Count];
            for (var i = 0; i < completions.Count; i++)
                outcomes[i] = await CompleteAsync(completions[i], cancellationToken).ConfigureAwait(false);
            return outcomes;
        }
    }

    private async ValueTask<CompletionOutcome> ApplyCompletionAsync(Tx tx, Completion completion, string? expectedOwner, CancellationToken ct)
    {
        var claimed = completion.Step;
        var step = await tx.Store.GetStepAsync(claimed.Id, ct).ConfigureAwait(false);
        if (step is null || step.Status != StepStatus.Running || step.Attempt != claimed.Attempt
            || !string.Equals(step.LeaseOwner, expectedOwner, StringComparison.Ordinal))
        {
            return CompletionOutcome.Fenced;
        }
        foreach (var e in completion.Events ?? [])
            await tx.AppendAsync(e.Type, e.RunId, e.StepId, e.Data, ct, e.At, publish: false).ConfigureAwait(false);

        var result = completion.Result;
        var usage = step.Usage + result.Usage;
        var common = step with
        {
            Usage = usage,
            LeaseOwner = null,
            LeaseExpiresAt = null,
            Output = result.Output ?? step.Output,
            Result = result.Data ?? step.Result,
        };

        switch (result.Outcome)
        {
            case AgentOutcome.Succeeded:
                // Approval gates and interactive agents keep the result and wait for a person (OrchestraEngine.Humans.cs).
                if (await HoldForHumanAsync(tx, step, common, result, ct).ConfigureAwait(false))
                    break;
                var done = common with
                {
                    Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Succeeded),
                    Output = result.Output,
                    Result = result.Data,
                    Error = null,
                    FailureKind = FailureKind.None,
                    FinishedAt = tx.Now,
                };
                await tx.Store.UpdateStepAsync(done, ct).ConfigureAwait(false);
                await AppendFinishedAsync(tx, done, ct).ConfigureAwait(false);
                await OnSucceededAsync(tx, done, result, ct).ConfigureAwait(false);
                break;

            case AgentOutcome.TransientFailure when step.Attempt < step.MaxAttempts:
                var delay = Options.Retry.DelayAfter(step.Attempt, Options.Random());
                // A provider that named its own delay (Retry-After) is not asked again sooner.
                if (result.RetryAfter is { } asked && asked > delay)
                    delay = asked;
                var retry = common with
                {
                    Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Ready),
                    Error = result.Error,
                    FailureKind = FailureKind.Transient,
                    NotBefore = tx.Now + delay,
                    Handle = null,
                };
                await tx.Store.UpdateStepAsync(retry, ct).ConfigureAwait(false);
                await tx.AppendAsync(EventTypes.StepRetrying, step.RunId, step.Id, new JsonObject
                {
                    ["name"] = step.Name,
                    ["agent"] = step.Agent,
                    ["attempt"] = step.Attempt,
                    ["error"] = result.Error,
                    ["delay_ms"] = (long)delay.TotalMilliseconds,
                }, ct).ConfigureAwait(false);
                break;

            default:
                var (status, kind) = result.Outcome switch
                {
                    AgentOutcome.TimedOut => (StepStatus.TimedOut, FailureKind.Timeout),
                    AgentOutcome.Cancelled => (StepStatus.Cancelled, FailureKind.Cancelled),
                    AgentOutcome.BudgetExceeded => (StepStatus.Failed, FailureKind.Budget),
                    AgentOutcome.TransientFailure => (StepStatus.Failed, FailureKind.Transient),
                    _ => (StepStatus.Failed, FailureKind.Permanent),
                };
                var error = result.Outcome == AgentOutcome.TransientFailure && step.MaxAttempts > 1
                    ? $"{result.Error} (gave up after {step.Attempt} attempts)"
                    : result.Error;
                var failed = common with
                {
                    Status = Transitions.Ensure(step.Id, step.Status, status),
                    Error = error,
                    FailureKind = kind,
                    FinishedAt = tx.Now,
                };
                await tx.Store.UpdateStepAsync(failed, ct).ConfigureAwait(false);
                await AppendFinishedAsync(tx, failed, ct).ConfigureAwait(false);
                await PropagateFailureAsync(tx, failed, ct).ConfigureAwait(false);
                break;
        }
        await FinalizeRunIfDoneAsync(tx, step.RunId, ct).ConfigureAwait(false);
        // A transient failure waiting for its retry changes nothing a replay would go back to.
        if (result.Outcome != AgentOutcome.TransientFailure || step.Attempt >= step.MaxAttempts)
            tx.Checkpoint(step.RunId, CheckpointReasons.Step, step);
        return CompletionOutcome.Recorded;
    }

    private static ValueTask AppendFinishedAsync(Tx tx, StepRecord step, CancellationToken ct)
    {
        var data = new JsonObject
        {
            ["name"] = step.Name,
            ["agent"] = step.Agent,
            ["status"] = step.Status.ToWire(),
            ["attempt"] = step.Attempt,
        };
        if (step.Error is not null) data["error"] = step.Error;
        if (!step.Usage.IsEmpty)
        {
            data["input_tokens"] = step.Usage.InputTokens;
            data["output_tokens"] = step.Usage.OutputTokens;
            data["cost_usd"] = step.Usage.CostUsd;
        }
        return tx.AppendAsync(EventTypes.StepFinished, step.RunId, step.Id, data, ct);
    }

    private async ValueTask SaveSessionAsync(Tx tx, StepRecord step, SessionRecord session, CancellationToken ct)
    {
        var now = tx.Now;
        var existing = await tx.Store.GetSessionAsync(session.Id, ct).ConfigureAwait(false);
        await tx.Store.SaveSessionAsync(session with { CreatedAt = existing?.CreatedAt ?? now, UpdatedAt = now }, ct).ConfigureAwait(false);
        await tx.AppendAsync(EventTypes.SessionSaved, step.RunId, step.Id, new JsonObject { ["session"] = session.Id, ["turns"] = session.Turns }, ct).ConfigureAwait(false);
    }

    private async ValueTask OnSucceededAsync(Tx tx, StepRecord step, AgentResult result, CancellationToken ct)
    {
        var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
        GraphDefinition? graph = null;
        string? unresolved = null;
        try
        {
            graph = run.Kind == RunKinds.Graph ? FindGraph(run) : null;
        }
        catch (OrchestraException ex)
        {
            unresolved = ex.Message;
        }
        if (result.Session is { } session)
            await SaveSessionAsync(tx, step, session, ct).ConfigureAwait(false);
        if (result.StateDelta is { Count: > 0 } delta)
        {
            run = run with { State = StateDocument.Apply(run.State, delta, graph?.Reducers) };
            await tx.SaveRunAsync(run, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StateChanged, run.Id, step.Id, new JsonObject { ["keys"] = new JsonArray(delta.Select(kv => (JsonNode?)kv.Key).ToArray()) }, ct).ConfigureAwait(false);
        }

        foreach (var id in await tx.Store.GetDependantsAsync(step.Id, ct).ConfigureAwait(false))
        {
            var d = await tx.Store.GetStepAsync(id, ct).ConfigureAwait(false);
            if (d is null || d.Status != StepStatus.Pending)
                continue;
            var left = Math.Max(0, d.PendingDependencies - 1);
            var next = d with
            {
                PendingDependencies = left,
                Status = left == 0 ? Transitions.Ensure(d.Id, d.Status, StepStatus.Ready) : d.Status,
            };
            await tx.Store.UpdateStepAsync(next, ct).ConfigureAwait(false);
            if (left == 0)
                await tx.AppendAsync(EventTypes.StepReady, d.RunId, d.Id, null, ct).ConfigureAwait(false);
        }

        if (run.Kind == RunKinds.Graph && step.Node is not null)
        {
            if (graph is null)
            {
                await FailRunAsync(tx, run, unresolved ?? $"graph '{run.Name}' is not registered in this process", ct).ConfigureAwait(false);
                return;
            }
            await FireEdgesAsync(tx, run, graph, step.Node, result, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Settles the dependants of a step that ended without success, transitively.</summary>
    private async ValueTask PropagateFailureAsync(Tx tx, StepRecord source, CancellationToken ct)
    {
        var queue = new Queue<StepRecord>();
        queue.Enqueue(source);
        while (queue.Count > 0)
        {
            var from = queue.Dequeue();
            foreach (var id in await tx.Store.GetDependantsAsync(from.Id, ct).ConfigureAwait(false))
            {
                var d = await tx.Store.GetStepAsync(id, ct).ConfigureAwait(false);
                if (d is null || d.Status is not (StepStatus.Pending or StepStatus.Ready))
                    continue;
                var status = from.Status == StepStatus.Cancelled ? StepStatus.Cancelled
                    : d.OnDependencyFailure == DependencyFailurePolicy.Skip ? StepStatus.Skipped
                    : StepStatus.Failed;
                var settled = d with
                {
                    Status = Transitions.Ensure(d.Id, d.Status, status),
                    Error = $"dependency {from.Name} ({from.Id}) {from.Status.ToWire()}",
                    FailureKind = status == StepStatus.Cancelled ? FailureKind.Cancelled : FailureKind.Dependency,
                    FinishedAt = tx.Now,
                };
                await tx.Store.UpdateStepAsync(settled, ct).ConfigureAwait(false);
                await AppendFinishedAsync(tx, settled, ct).ConfigureAwait(false);
                queue.Enqueue(settled);
                if (settled.RunId != source.RunId)
                    await FinalizeRunIfDoneAsync(tx, settled.RunId, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends a run whose steps are all terminal: completed, or failed when a step failed or the run recorded an error.</summary>
    private async ValueTask FinalizeRunIfDoneAsync(Tx tx, string runId, CancellationToken ct)
    {
        var run = await tx.RunAsync(runId, ct).ConfigureAwait(false);
        if (run.Status.IsTerminal() || await tx.Store.HasOpenStepsAsync(runId, ct).ConfigureAwait(false))
            return;
        var failed = run.Error is not null || await tx.Store.HasFailedStepsAsync(runId, ct).ConfigureAwait(false);
        await tx.SetRunStatusAsync(run, failed ? RunStatus.Failed : RunStatus.Completed, null, ct).ConfigureAwait(false);
    }

    /// <summary>Fails a run: records the error and cancels its open steps.</summary>
    private async ValueTask FailRunAsync(Tx tx, RunRecord run, string error, CancellationToken ct)
    {
        run = run with { Error = error };
        await tx.SaveRunAsync(run, ct).ConfigureAwait(false);
        await CancelOpenStepsAsync(tx, run.Id, error, ct).ConfigureAwait(false);
        if (run.Status != RunStatus.Failed)
            await tx.SetRunStatusAsync(run, RunStatus.Failed, error, ct).ConfigureAwait(false);
    }

    private async ValueTask<List<StepRecord>> CancelOpenStepsAsync(Tx tx, string runId, string reason, CancellationToken ct)
    {
        var open = await tx.Store.ListStepsAsync(new Storage.StepQuery
        {
            RunId = runId,
            Statuses = OpenStepStatuses,
        }, ct).ConfigureAwait(false);
        foreach (var s in open)
        {
            var cancelled = s with
            {
                Status = Transitions.Ensure(s.Id, s.Status, StepStatus.Cancelled),
                Error = reason,
                FailureKind = FailureKind.Cancelled,
                LeaseOwner = null,
                LeaseExpiresAt = null,
                FinishedAt = tx.Now,
            };
            await tx.Store.UpdateStepAsync(cancelled, ct).ConfigureAwait(false);
            await AppendFinishedAsync(tx, cancelled, ct).ConfigureAwait(false);
        }
        return open.ToList();
    }
}
