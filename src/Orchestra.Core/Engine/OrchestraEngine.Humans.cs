using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>What a waiting step waits for from a person.</summary>
public enum HumanWaitKind
{
    /// <summary>Approval of the result of a node with <c>approve</c>; its edges fire once approved.</summary>
    Approval,
    /// <summary>Approval to start: an edge with <c>approve</c> holds the step before it runs.</summary>
    Start,
    /// <summary>The next message to an interactive agent, or the word that the conversation is done.</summary>
    Message,
}

/// <summary>A step that waits for a person.</summary>
/// <param name="Step">The step, in status <see cref="StepStatus.Waiting"/>.</param>
/// <param name="Kind">What it waits for.</param>
/// <param name="Turns">For an interactive agent: the replies it has given so far in this step.</param>
public sealed record HumanWait(StepRecord Step, HumanWaitKind Kind, int Turns)
{
    /// <summary>The agent's last reply (the result to approve, or the message to answer); null for a step not yet run.</summary>
    public string? Reply => Kind == HumanWaitKind.Start ? null : Step.Output;
}

/// <summary>Wire names of <see cref="HumanWaitKind"/>.</summary>
public static class HumanWaitKinds
{
    /// <summary>The lower-case wire name used in events and JSON output.</summary>
    public static string ToWire(this HumanWaitKind kind) => kind switch
    {
        HumanWaitKind.Approval => "approval",
        HumanWaitKind.Start => "start",
        HumanWaitKind.Message => "message",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    internal static HumanWaitKind? Parse(string? wire) => wire switch
    {
        "approval" => HumanWaitKind.Approval,
        "start" => HumanWaitKind.Start,
        "message" => HumanWaitKind.Message,
        _ => null,
    };
}

public sealed partial class OrchestraEngine
{
    // Bookkeeping kept in RunRecord.Graph["humans"], per step id while a person is involved:
    //   wait: approval | start | message;  route, state: the held result's route and state delta (applied when
    //   approved);  turns: replies of an interactive agent;  prompt: the step's first prompt (for revisions).
    // The step's own row keeps its status (waiting) and the held output, so all of it survives a restart.
    private const string HumansKey = "humans";

    /// <summary>
    /// True when a run has nothing to do until a person acts: it is not finished, some step waits for a person and
    /// no step is ready or running. The run's stored status stays <see cref="RunStatus.Running"/>: waiting is derived,
    /// so that every face and worker that reads run statuses keeps working unchanged.
    /// </summary>
    public static bool IsWaitingForHuman(RunRecord run, StatusSummary summary)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(summary);
        return !run.Status.IsTerminal() && summary[StepStatus.Waiting] > 0
            && summary[StepStatus.Ready] == 0 && summary[StepStatus.Running] == 0;
    }

    /// <summary>The steps of a run that wait for a person, oldest first.</summary>
    public async ValueTask<IReadOnlyList<HumanWait>> ListWaitingAsync(string runId, CancellationToken cancellationToken = default)
    {
        var run = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new OrchestraException($"No run {runId}: see 'orchestra status --all'.", ErrorKind.NotFound);
        var steps = await Store.ListStepsAsync(new StepQuery { RunId = runId, Statuses = [StepStatus.Waiting] }, cancellationToken).ConfigureAwait(false);
        return steps.Select(s => ToWait(run, s)).ToList();
    }

    /// <summary>
    /// Approves a waiting step, in one checkpoint with an <c>approval.granted</c> event. A node's held result is
    /// recorded as if its agent had just succeeded (state delta, edges); a step held by an edge becomes ready.
    /// </summary>
    /// <param name="stepId">The waiting step.</param>
    /// <param name="comment">An optional note kept in the event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The step after the approval.</returns>
    /// <exception cref="OrchestraException">No such step, it does not wait for an approval, or its graph is not registered.</exception>
    public ValueTask<StepRecord> ApproveAsync(string stepId, string? comment = null, CancellationToken cancellationToken = default) =>
        TransactAsync(async tx =>
        {
            var w = await LoadWaitAsync(tx, stepId, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(w.Step.RunId, CheckpointReasons.Human, w.Step);
            if (w.Kind == HumanWaitKind.Message)
                throw new OrchestraException($"Step {stepId} ({w.Step.Name}) is a conversation with an interactive agent, not an approval: send it a message, or /done to finish it (orchestra attach {w.Step.RunId}).", ErrorKind.Conflict);
            await tx.AppendAsync(EventTypes.ApprovalGranted, w.Step.RunId, w.Step.Id, new JsonObject
            {
                ["name"] = w.Step.Name,
                ["kind"] = w.Kind.ToWire(),
                ["comment"] = comment,
            }, cancellationToken).ConfigureAwait(false);
            if (w.Kind == HumanWaitKind.Start)
            {
                await ForgetAsync(tx, w.Step, keepTurns: false, cancellationToken).ConfigureAwait(false);
                return await MakeReadyAsync(tx, w.Step, w.Step.Prompt, extraAttempts: 0, "approved", cancellationToken).ConfigureAwait(false);
            }
            return await ReleaseHeldResultAsync(tx, w, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// Rejects a waiting step, in one checkpoint with an <c>approval.rejected</c> event. A node whose
    /// <see cref="GraphNode.OnReject"/> is <see cref="RejectAction.Revise"/> runs again with the reason as feedback
    /// (and waits for approval again); otherwise the step fails with the reason as its error, like any failed step.
    /// </summary>
    /// <param name="stepId">The waiting step.</param>
    /// <param name="reason">Why; given to the agent as feedback when the node revises.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The step after the rejection.</returns>
    /// <exception cref="OrchestraException">No such step, it does not wait for an approval, or its graph is not registered.</exception>
    public ValueTask<StepRecord> RejectAsync(string stepId, string? reason = null, CancellationToken cancellationToken = default) =>
        TransactAsync(async tx =>
        {
            reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
            var w = await LoadWaitAsync(tx, stepId, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(w.Step.RunId, CheckpointReasons.Human, w.Step);
            if (w.Kind == HumanWaitKind.Message)
                throw new OrchestraException($"Step {stepId} ({w.Step.Name}) is a conversation with an interactive agent, not an approval: /done finishes it, 'orchestra cancel {stepId}' stops it.", ErrorKind.Conflict);
            var revise = w.Kind == HumanWaitKind.Approval && w.Node.OnReject == RejectAction.Revise;
            await tx.AppendAsync(EventTypes.ApprovalRejected, w.Step.RunId, w.Step.Id, new JsonObject
            {
                ["name"] = w.Step.Name,
                ["kind"] = w.Kind.ToWire(),
                ["reason"] = reason,
                ["action"] = revise ? "revise" : "fail",
            }, cancellationToken).ConfigureAwait(false);
            if (revise)
            {
                var first = await ForgetAsync(tx, w.Step, keepTurns: true, cancellationToken).ConfigureAwait(false);
                // An interactive agent continues its session, so the feedback alone is the next message.
                var prompt = w.Node.Interactive
                    ? $"Your result was rejected: {reason ?? "no reason given"}. Revise it."
                    : $"{first}\n\nYour previous result was rejected: {reason ?? "no reason given"}. Revise it.\n\nYour previous result:\n{w.Step.Output}";
                return await MakeReadyAsync(tx, w.Step, prompt, w.Node.MaxAttempts, "rejected", cancellationToken).ConfigureAwait(false);
            }
            await ForgetAsync(tx, w.Step, keepTurns: false, cancellationToken).ConfigureAwait(false);
            var failed = w.Step with
            {
                Status = Transitions.Ensure(w.Step.Id, w.Step.Status, StepStatus.Failed),
                Error = reason is null ? "rejected by a person" : $"rejected by a person: {reason}",
                FailureKind = FailureKind.Permanent,
                FinishedAt = tx.Now,
            };
            await tx.Store.UpdateStepAsync(failed, cancellationToken).ConfigureAwait(false);
            await AppendFinishedAsync(tx, failed, cancellationToken).ConfigureAwait(false);
            await PropagateFailureAsync(tx, failed, cancellationToken).ConfigureAwait(false);
            await FinalizeRunIfDoneAsync(tx, failed.RunId, cancellationToken).ConfigureAwait(false);
            return failed;
        }, cancellationToken);

    /// <summary>
    /// Sends a person's message to an interactive agent whose step waits for one, in one checkpoint with a
    /// <c>human.message</c> event: the step becomes ready with the message as its prompt, and its agent continues the
    /// same session (step input <c>session</c>) when a worker runs it.
    /// </summary>
    /// <param name="stepId">The waiting step of an interactive node.</param>
    /// <param name="text">The message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The step, ready again.</returns>
    /// <exception cref="OrchestraException">No such step, it does not wait for a message, the text is empty, or its graph is not registered.</exception>
    public ValueTask<StepRecord> PostHumanMessageAsync(string stepId, string text, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new OrchestraException("The message is empty: type some text, or /done to finish the conversation.");
        return TransactAsync(async tx =>
        {
            var w = await LoadWaitAsync(tx, stepId, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(w.Step.RunId, CheckpointReasons.Human, w.Step);
            if (w.Kind != HumanWaitKind.Message)
                throw new OrchestraException($"Step {stepId} ({w.Step.Name}) waits for {Describe(w.Kind)}, not a message: approve it, or reject it with a reason.", ErrorKind.Conflict);
            await tx.AppendAsync(EventTypes.HumanMessage, w.Step.RunId, w.Step.Id, new JsonObject
            {
                ["name"] = w.Step.Name,
                ["text"] = text,
                ["turn"] = w.Turns + 1,
            }, cancellationToken).ConfigureAwait(false);
            await ForgetAsync(tx, w.Step, keepTurns: true, cancellationToken).ConfigureAwait(false);
            return await MakeReadyAsync(tx, w.Step, text, w.Node.MaxAttempts, "message", cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// Finishes a conversation with an interactive agent, in one checkpoint with a <c>human.done</c> event: its last
    /// reply becomes the step's output and its edges fire — or, when the node also has <c>approve</c>, the step waits
    /// for that approval next.
    /// </summary>
    /// <param name="stepId">The waiting step of an interactive node.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The step: succeeded, or waiting for approval.</returns>
    /// <exception cref="OrchestraException">No such step, it is not a conversation waiting for a message, or its graph is not registered.</exception>
    public ValueTask<StepRecord> FinishInteractiveAsync(string stepId, CancellationToken cancellationToken = default) =>
        TransactAsync(async tx =>
        {
            var w = await LoadWaitAsync(tx, stepId, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(w.Step.RunId, CheckpointReasons.Human, w.Step);
            if (w.Kind != HumanWaitKind.Message)
                throw new OrchestraException($"Step {stepId} ({w.Step.Name}) is not a conversation; it waits for {Describe(w.Kind)}: approve it, or reject it with a reason.", ErrorKind.Conflict);
            await tx.AppendAsync(EventTypes.HumanDone, w.Step.RunId, w.Step.Id, new JsonObject
            {
                ["name"] = w.Step.Name,
                ["turns"] = w.Turns,
            }, cancellationToken).ConfigureAwait(false);
            if (w.Node.Approve)
            {
                await SetWaitAsync(tx, w.Step, HumanWaitKind.Approval, null, cancellationToken).ConfigureAwait(false);
                return w.Step;
            }
            return await ReleaseHeldResultAsync(tx, w, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The step input of a new graph step: an interactive node's steps name their own session.</summary>
    private static JsonObject? HumanInput(GraphNode node, string stepId) =>
        node.Interactive ? new JsonObject { ["session"] = stepId } : null;

    /// <summary>Hook of the checkpoint: keeps a successful result of an approval or interactive node and makes its step wait.</summary>
    private async ValueTask<bool> HoldForHumanAsync(Tx tx, StepRecord step, StepRecord common, AgentResult result, CancellationToken ct)
    {
        if (step.Node is null)
            return false;
        var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
        if (run.Kind != RunKinds.Graph)
            return false;
        GraphDefinition? graph;
        try
        {
            graph = FindGraph(run);
        }
        catch (OrchestraException)
        {
            // Recording the success fails the run with the resolver's reason.
            return false;
        }
        if (graph is null || !graph.Nodes.TryGetValue(step.Node, out var node) || !(node.Approve || node.Interactive))
            return false;
        var waiting = common with
        {
            Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Waiting),
            Output = result.Output,
            Result = result.Data,
            Error = null,
            FailureKind = FailureKind.None,
            Handle = null,
            DeadlineAt = null,
        };
        await tx.Store.UpdateStepAsync(waiting, ct).ConfigureAwait(false);
        // The transcript is kept now: the next message continues it, even after a restart.
        if (result.Session is { } session)
            await SaveSessionAsync(tx, waiting, session, ct).ConfigureAwait(false);
        var kind = node.Interactive ? HumanWaitKind.Message : HumanWaitKind.Approval;
        await SetWaitAsync(tx, waiting, kind, result, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Records that a step created by an edge with <c>approve</c> waits for approval to start.</summary>
    private ValueTask HoldForEdgeApprovalAsync(Tx tx, StepRecord step, CancellationToken ct) =>
        SetWaitAsync(tx, step, HumanWaitKind.Start, null, ct);

    /// <summary>Writes the step's bookkeeping and the <c>step.waiting</c> event.</summary>
    private async ValueTask SetWaitAsync(Tx tx, StepRecord step, HumanWaitKind kind, AgentResult? result, CancellationToken ct)
    {
        var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
        var book = (JsonObject)run.Graph.DeepClone();
        var humans = Child(book, HumansKey);
        var entry = humans[step.Id] as JsonObject ?? [];
        entry["wait"] = kind.ToWire();
        if (result is not null)
        {
            entry["route"] = result.Route;
            entry["state"] = result.StateDelta?.DeepClone();
            if (kind == HumanWaitKind.Message)
                entry["turns"] = (entry["turns"]?.GetValue<int>() ?? 0) + 1;
        }
        humans[step.Id] = entry;
        await tx.SaveRunAsync(run with { Graph = book }, ct).ConfigureAwait(false);
        var data = new JsonObject { ["name"] = step.Name, ["agent"] = step.Agent, ["kind"] = kind.ToWire() };
        if (kind == HumanWaitKind.Message)
            data["turn"] = entry["turns"]?.GetValue<int>() ?? 0;
        await tx.AppendAsync(EventTypes.StepWaiting, step.RunId, step.Id, data, ct).ConfigureAwait(false);
    }

    /// <summary>Drops the step's wait; returns its first prompt. With <paramref name="keepTurns"/> the turn count and first prompt stay for the next wait.</summary>
    private async ValueTask<string> ForgetAsync(Tx tx, StepRecord step, bool keepTurns, CancellationToken ct)
    {
        var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
        var book = (JsonObject)run.Graph.DeepClone();
        var humans = Child(book, HumansKey);
        var entry = humans[step.Id] as JsonObject ?? [];
        var first = entry["prompt"]?.GetValue<string>() ?? step.Prompt;
        if (keepTurns)
            humans[step.Id] = new JsonObject { ["turns"] = entry["turns"]?.DeepClone(), ["prompt"] = first };
        else
            humans.Remove(step.Id);
        await tx.SaveRunAsync(run with { Graph = book }, ct).ConfigureAwait(false);
        return first;
    }

    /// <summary>A waiting step back to ready with a new prompt and a fresh allowance of attempts.</summary>
    private static async ValueTask<StepRecord> MakeReadyAsync(Tx tx, StepRecord step, string prompt, int extraAttempts, string reason, CancellationToken ct)
    {
        var ready = step with
        {
            Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Ready),
            Prompt = prompt,
            MaxAttempts = Math.Max(step.MaxAttempts, step.Attempt + extraAttempts),
            NotBefore = null,
            Handle = null,
            Error = null,
            FailureKind = FailureKind.None,
        };
        await tx.Store.UpdateStepAsync(ready, ct).ConfigureAwait(false);
        await tx.AppendAsync(EventTypes.StepReady, step.RunId, step.Id, new JsonObject { ["reason"] = reason }, ct).ConfigureAwait(false);
        return ready;
    }

    /// <summary>Records a held result as the step's success: its state delta, its dependants and its edges.</summary>
    private async ValueTask<StepRecord> ReleaseHeldResultAsync(Tx tx, LoadedWait w, CancellationToken ct)
    {
        await ForgetAsync(tx, w.Step, keepTurns: false, ct).ConfigureAwait(false);
        var done = w.Step with
        {
            Status = Transitions.Ensure(w.Step.Id, w.Step.Status, StepStatus.Succeeded),
            Error = null,
            FailureKind = FailureKind.None,
            FinishedAt = tx.Now,
        };
        await tx.Store.UpdateStepAsync(done, ct).ConfigureAwait(false);
        await AppendFinishedAsync(tx, done, ct).ConfigureAwait(false);
        var result = new AgentResult
        {
            Outcome = AgentOutcome.Succeeded,
            Output = done.Output,
            Data = done.Result?.DeepClone(),
            Route = w.Entry?["route"]?.GetValue<string>(),
            StateDelta = w.Entry?["state"]?.DeepClone() as JsonObject,
        };
        await OnSucceededAsync(tx, done, result, ct).ConfigureAwait(false);
        await FinalizeRunIfDoneAsync(tx, done.RunId, ct).ConfigureAwait(false);
        return done;
    }

    private sealed record LoadedWait(StepRecord Step, RunRecord Run, GraphNode Node, HumanWaitKind Kind, int Turns, JsonObject? Entry);

    private async ValueTask<LoadedWait> LoadWaitAsync(Tx tx, string stepId, CancellationToken ct)
    {
        var step = await tx.Store.GetStepAsync(stepId, ct).ConfigureAwait(false)
            ?? throw new OrchestraException($"No step {stepId}: see 'orchestra status --all'.", ErrorKind.NotFound);
        if (step.Status != StepStatus.Waiting)
            throw new OrchestraException($"Step {stepId} ({step.Name}) is {step.Status.ToWire()}, not waiting for a person: see 'orchestra status {step.RunId}'.", ErrorKind.Conflict);
        var run = await tx.RunAsync(step.RunId, ct).ConfigureAwait(false);
        if (run.Kind != RunKinds.Graph || step.Node is null)
            throw new OrchestraException($"Step {stepId} waits for something other than a person: only pipeline and graph steps wait for approvals and messages.", ErrorKind.Conflict);
        var graph = FindGraph(run)
            ?? throw new OrchestraException($"Run {run.Id} runs graph '{run.Name}', which this process does not know: register the graph with the engine before acting on the run.", ErrorKind.NotFound);
        if (!graph.Nodes.TryGetValue(step.Node, out var node))
            throw new OrchestraException($"Graph '{run.Name}' has no node '{step.Node}' any more: the pipeline changed since run {run.Id} started; restore the node or cancel the run.", ErrorKind.Conflict);
        var wait = ToWait(run, step);
        return new LoadedWait(step, run, node, wait.Kind, wait.Turns, run.Graph[HumansKey]?[step.Id] as JsonObject);
    }

    private static HumanWait ToWait(RunRecord run, StepRecord step)
    {
        var entry = run.Graph[HumansKey]?[step.Id] as JsonObject;
        // Without bookkeeping, a step that never ran was held by an edge; one that ran holds its result.
        var kind = HumanWaitKinds.Parse(entry?["wait"]?.GetValue<string>())
            ?? (step.Attempt == 0 ? HumanWaitKind.Start : HumanWaitKind.Approval);
        return new HumanWait(step, kind, entry?["turns"]?.GetValue<int>() ?? 0);
    }

    private static string Describe(HumanWaitKind kind) => kind switch
    {
        HumanWaitKind.Approval => "approval of its result",
        HumanWaitKind.Start => "approval to start",
        _ => "a message",
    };
}
