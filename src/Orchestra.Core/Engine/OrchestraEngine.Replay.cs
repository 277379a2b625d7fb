using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>What a replay did.</summary>
/// <param name="Run">The run after the replay.</param>
/// <param name="Checkpoint">The checkpoint it went back to.</param>
/// <param name="Superseded">The steps set aside: those opened or finished after the checkpoint.</param>
/// <param name="Steps">The steps created again, open as they were at the checkpoint.</param>
/// <param name="Commits">Repository → commit the run's session branches were moved to; empty when the run has no git work.</param>
public sealed record ReplayResult(RunRecord Run, CheckpointRecord Checkpoint, IReadOnlyList<StepRecord> Superseded,
    IReadOnlyList<StepRecord> Steps, IReadOnlyDictionary<string, string> Commits);

/// <summary>What a fork did.</summary>
/// <param name="Run">The new run.</param>
/// <param name="Parent">The run it was forked from.</param>
/// <param name="Checkpoint">The parent's checkpoint it started from.</param>
/// <param name="Steps">The new run's first steps.</param>
/// <param name="Commits">Repository → commit its session starts from; empty when the parent has no git work.</param>
public sealed record ForkResult(RunRecord Run, string Parent, CheckpointRecord Checkpoint, IReadOnlyList<StepRecord> Steps,
    IReadOnlyDictionary<string, string> Commits);

public sealed partial class OrchestraEngine
{
    /// <summary>The statuses of a step that is not finished.</summary>
    private static readonly IReadOnlyList<StepStatus> OpenStepStatuses = [StepStatus.Pending, StepStatus.Ready, StepStatus.Running, StepStatus.Waiting];

    /// <summary>A graph run's checkpoints, oldest first.</summary>
    /// <exception cref="OrchestraException">No such run, or it is not a graph run.</exception>
    public async ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var run = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new OrchestraException($"No run {runId}: see 'orchestra status --all'.", ErrorKind.NotFound);
        if (run.Kind != RunKinds.Graph)
            throw new OrchestraException($"Run {runId} is a {run.Kind} run: only pipeline and graph runs have numbered checkpoints (see 'orchestra logs {runId}' for its history).");
        return await Store.ListCheckpointsAsync(runId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts a graph run back to checkpoint <paramref name="number"/> and lets it continue from there: its state and
    /// graph bookkeeping become the checkpoint's, the steps opened or finished since are set aside as
    /// <see cref="StepStatus.Superseded"/> (kept as history), the steps open at the checkpoint are created again, and
    /// the run's session branches move to the commits recorded up to the checkpoint. One transaction, and one new
    /// checkpoint; when the store refuses it, the branches go back.
    /// </summary>
    /// <exception cref="OrchestraException">No such run or checkpoint, not a graph run, a step still running, or the repositories cannot move.</exception>
    public async ValueTask<ReplayResult> ReplayAsync(string runId, int number, CancellationToken cancellationToken = default)
    {
        var (_, checkpoint, events) = await LoadCheckpointAsync(Store, runId, number, "replayed", cancellationToken).ConfigureAwait(false);
        await RefuseRunningAsync(Store, runId, cancellationToken).ConfigureAwait(false);
        var commits = CheckpointHistory.At(events, checkpoint.Seq).Commits;
        var snapshots = SnapshotsOf(events);
        IReadOnlyDictionary<string, string> previous = new Dictionary<string, string>();
        if (snapshots is not null)
            previous = await snapshots.RestoreAsync(runId, commits, cancellationToken).ConfigureAwait(false);
        try
        {
            return await TransactAsync(async tx =>
            {
                // Checked again under the write lock: a worker may have claimed a step since.
                await RefuseRunningAsync(tx.Store, runId, cancellationToken).ConfigureAwait(false);
                var all = await tx.Store.ListEventsAsync(runId, 0, int.MaxValue, cancellationToken).ConfigureAwait(false);
                var open = CheckpointHistory.At(all, checkpoint.Seq).Open;
                var superseded = await SupersedeAsync(tx, runId, checkpoint, open, all, cancellationToken).ConfigureAwait(false);

                var run = await tx.RunAsync(runId, cancellationToken).ConfigureAwait(false);
                var book = (JsonObject)checkpoint.Graph.DeepClone();
                run = run with { State = (JsonObject)checkpoint.State.DeepClone(), Graph = book, Error = null, FinishedAt = null };
                await tx.SaveRunAsync(run, cancellationToken).ConfigureAwait(false);
                if (run.Status.IsTerminal())
                    await tx.SetRunStatusAsync(run, RunStatus.Running, null, cancellationToken).ConfigureAwait(false);
                await tx.AppendAsync(EventTypes.RunReplayed, runId, null, new JsonObject
                {
                    ["checkpoint"] = number,
                    ["superseded"] = superseded.Count,
                    ["commits"] = CheckpointHistory.ToJson(commits),
                }, cancellationToken).ConfigureAwait(false);
                var steps = await RecreateAsync(tx, runId, open, rerender: false, cancellationToken).ConfigureAwait(false);
                tx.Checkpoint(runId, CheckpointReasons.Replay).Details = new JsonObject { ["replayed_to"] = number };
                await FinalizeRunIfDoneAsync(tx, runId, cancellationToken).ConfigureAwait(false);
                return new ReplayResult(await tx.RunAsync(runId, cancellationToken).ConfigureAwait(false), checkpoint, superseded, steps, commits);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch when (snapshots is not null && previous.Count > 0)
        {
            // Nothing half-done: the branches go back to where they were.
            await snapshots.RestoreAsync(runId, previous, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a new run of the same graph from checkpoint <paramref name="number"/> of <paramref name="runId"/>, with
    /// <paramref name="edits"/> applied to its state or node outputs. Without edits the new run goes on with the steps
    /// open at the checkpoint. With edits, the routing the checkpoint recorded is decided again: the edges of the nodes
    /// whose results it recorded (of START, for the first checkpoint) are evaluated over the edited state, as if those
    /// nodes had returned it. The parent run is not changed; its repositories' commits become the new run's start.
    /// </summary>
    /// <exception cref="OrchestraException">No such run or checkpoint, not a graph run, its graph unknown, or an edit that does not fit.</exception>
    public async ValueTask<ForkResult> ForkAsync(string runId, int number, IReadOnlyList<CheckpointEdit>? edits = null, CancellationToken cancellationToken = default)
    {
        edits ??= [];
        var (parent, checkpoint, events) = await LoadCheckpointAsync(Store, runId, number, "forked", cancellationToken).ConfigureAwait(false);
        var graph = FindGraph(parent)
            ?? throw new OrchestraException($"Run {runId} runs graph '{parent.Name}', which this process does not know: register the graph with the engine before forking the run.", ErrorKind.NotFound);
        var at = CheckpointHistory.At(events, checkpoint.Seq);
        var state = (JsonObject)checkpoint.State.DeepClone();
        var book = (JsonObject)checkpoint.Graph.DeepClone();
        foreach (var edit in edits)
            edit.Apply(state, book);

        // Re-decide the routing of the checkpoint's own nodes: their bookkeeping goes back to the checkpoint before,
        // and the steps their edges created are left out.
        var reroute = edits.Count > 0 && checkpoint.Reason is CheckpointReasons.Step or CheckpointReasons.Created;
        var open = at.Open;
        if (reroute)
        {
            var before = number > 1 ? await Store.GetCheckpointAsync(runId, number - 1, cancellationToken).ConfigureAwait(false) : null;
            foreach (var key in (string[])["fired", "joins", "absorb"])
            {
                book.Remove(key);
                if (before?.Graph[key] is { } node)
                    book[key] = node.DeepClone();
            }
            var since = before?.Seq ?? 0;
            var createdHere = events.Where(e => e.Seq > since && e.Seq <= checkpoint.Seq && e.Type == EventTypes.StepCreated && e.StepId is not null)
                .Select(e => e.StepId!).ToHashSet(StringComparer.Ordinal);
            open = open.Where(o => !createdHere.Contains(o.Id)).ToList();
        }

        var forkId = Ids.NewRunId(Time);
        var commits = at.Commits;
        if (SnapshotsOf(events) is { } snapshots)
            await snapshots.ForkAsync(runId, forkId, commits, cancellationToken).ConfigureAwait(false);

        return await TransactAsync(async tx =>
        {
            var run = new RunRecord
            {
                Id = forkId,
                Kind = parent.Kind,
                Name = parent.Name,
                State = state,
                Graph = book,
                MaxParallel = parent.MaxParallel,
                OnDependencyFailure = parent.OnDependencyFailure,
                CreatedAt = tx.Now,
            };
            await tx.Store.InsertRunAsync(run, cancellationToken).ConfigureAwait(false);
            var paths = new JsonArray(edits.Select(e => (JsonNode?)e.Path).ToArray());
            tx.Checkpoint(forkId, CheckpointReasons.Fork).Details = new JsonObject
            {
                ["forked_from"] = runId,
                ["forked_at"] = number,
                ["edits"] = paths.DeepClone(),
            };
            await tx.AppendAsync(EventTypes.RunCreated, forkId, null, new JsonObject { ["kind"] = run.Kind, ["name"] = run.Name, ["forked_from"] = runId }, cancellationToken).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.RunForked, forkId, null, new JsonObject
            {
                ["from"] = runId,
                ["checkpoint"] = number,
                ["edits"] = paths,
                ["commits"] = CheckpointHistory.ToJson(commits),
            }, cancellationToken).ConfigureAwait(false);
            // The new run's graph is the parent's, already resolved (and checked against its file) here.
            _resolvedGraphs.TryAdd(forkId, graph);
            await tx.SaveRunAsync(run, cancellationToken).ConfigureAwait(false);
            var steps = await RecreateAsync(tx, forkId, open, rerender: edits.Count > 0, cancellationToken).ConfigureAwait(false);
            if (reroute)
            {
                IReadOnlyList<string> from = checkpoint.Reason == CheckpointReasons.Created ? [GraphDefinition.Start] : checkpoint.Nodes;
                foreach (var node in from.Distinct(StringComparer.Ordinal))
                    await FireEdgesAsync(tx, run, graph, node, node == GraphDefinition.Start ? null : ResultFrom(book, node), cancellationToken).ConfigureAwait(false);
                steps = (await tx.Store.ListStepsAsync(new StepQuery { RunId = forkId }, cancellationToken).ConfigureAwait(false)).ToList();
            }
            await FinalizeRunIfDoneAsync(tx, forkId, cancellationToken).ConfigureAwait(false);
            return new ForkResult(await tx.RunAsync(forkId, cancellationToken).ConfigureAwait(false), runId, checkpoint, steps, commits);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What moves the run's repositories, when any of its steps recorded commits; null otherwise.</summary>
    private IWorkspaceSnapshots? SnapshotsOf(IReadOnlyList<RunEvent> events) =>
        CheckpointHistory.At(events, long.MaxValue).HasSnapshots ? Options.StepWorkspace as IWorkspaceSnapshots : null;

    /// <summary>A node's (possibly edited) output, as the result its edges are evaluated with again.</summary>
    private static AgentResult ResultFrom(JsonObject book, string node)
    {
        var output = book["outputs"]?[node];
        var text = output is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        return new AgentResult
        {
            Outcome = AgentOutcome.Succeeded,
            Output = text ?? output?.ToJsonString(),
            Data = text is null ? output?.DeepClone() : null,
            Route = output is JsonObject o && o["route"] is JsonValue r && r.TryGetValue<string>(out var route) ? route : null,
        };
    }

    /// <summary>The checks replay and fork share; returns the run, the checkpoint, and the run's events.</summary>
    private static async ValueTask<(RunRecord Run, CheckpointRecord Checkpoint, IReadOnlyList<RunEvent> Events)> LoadCheckpointAsync(
        IStoreReader store, string runId, int number, string verb, CancellationToken ct)
    {
        var run = await store.GetRunAsync(runId, ct).ConfigureAwait(false)
            ?? throw new OrchestraException($"No run {runId}: see 'orchestra status --all'.", ErrorKind.NotFound);
        if (run.Kind != RunKinds.Graph)
            throw new OrchestraException($"Run {runId} is a {run.Kind} run: only pipeline and graph runs can be {verb} (retry its steps with 'orchestra retry STEP').");
        var checkpoints = await store.ListCheckpointsAsync(runId, ct).ConfigureAwait(false);
        if (checkpoints.Count == 0)
            throw new OrchestraException($"Run {runId} has no checkpoints (it was created before Orchestra recorded them): start it again to get them.", ErrorKind.NotFound);
        if (number < 1 || number > checkpoints.Count)
            throw new OrchestraException($"Run {runId} has checkpoints 1 to {checkpoints.Count}, not {number}: see 'orchestra checkpoints {runId}'.", ErrorKind.NotFound);
        var events = await store.ListEventsAsync(runId, 0, int.MaxValue, ct).ConfigureAwait(false);
        return (run, checkpoints[number - 1], events);
    }

    private static async ValueTask RefuseRunningAsync(IStoreReader store, string runId, CancellationToken ct)
    {
        var running = (await store.CountRunningAsync(ct).ConfigureAwait(false)).ByRun.GetValueOrDefault(runId);
        if (running > 0)
            throw new OrchestraException($"Run {runId} has {running} step{(running == 1 ? "" : "s")} running: wait for {(running == 1 ? "it" : "them")} to finish, or stop the run with 'orchestra cancel {runId}', then replay.", ErrorKind.Conflict);
    }

    /// <summary>Sets aside the steps open at the checkpoint and every step created after it.</summary>
    private async ValueTask<List<StepRecord>> SupersedeAsync(Tx tx, string runId, CheckpointRecord checkpoint, IReadOnlyList<OpenStep> open,
        IReadOnlyList<RunEvent> events, CancellationToken ct)
    {
        var ids = new List<string>(open.Select(o => o.Id));
        ids.AddRange(events.Where(e => e.Seq > checkpoint.Seq && e.Type == EventTypes.StepCreated && e.StepId is not null).Select(e => e.StepId!));
        // Anything else still open (a step a newer version of the engine made) is set aside too.
        ids.AddRange((await tx.Store.ListStepsAsync(new StepQuery { RunId = runId, Statuses = OpenStepStatuses }, ct).ConfigureAwait(false)).Select(s => s.Id));
        var reason = $"superseded by a replay to checkpoint {checkpoint.Number}";
        var superseded = new List<StepRecord>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var step = await tx.Store.GetStepAsync(id, ct).ConfigureAwait(false);
            if (step is null || step.Status == StepStatus.Superseded)
                continue;
            var set = step with
            {
                Status = Transitions.Ensure(step.Id, step.Status, StepStatus.Superseded),
                Error = step.Error ?? reason,
                LeaseOwner = null,
                LeaseExpiresAt = null,
                NotBefore = null,
                FinishedAt = step.FinishedAt ?? tx.Now,
            };
            await tx.Store.UpdateStepAsync(set, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StepFinished, runId, step.Id, new JsonObject
            {
                ["name"] = step.Name,
                ["agent"] = step.Agent,
                ["status"] = set.Status.ToWire(),
                ["was"] = step.Status.ToWire(),
                ["reason"] = reason,
            }, ct).ConfigureAwait(false);
            superseded.Add(set);
        }
        return superseded;
    }

    /// <summary>
    /// Creates <paramref name="open"/> again in <paramref name="runId"/> as new steps: ready, or waiting for approval to
    /// start when an edge held them. A held result or a conversation is not carried over: the node runs again. With
    /// <paramref name="rerender"/> the prompt is built again from the run's (edited) state.
    /// </summary>
    private async ValueTask<List<StepRecord>> RecreateAsync(Tx tx, string runId, IReadOnlyList<OpenStep> open, bool rerender, CancellationToken ct)
    {
        var run = await tx.RunAsync(runId, ct).ConfigureAwait(false);
        var graph = FindGraph(run);
        var book = (JsonObject)run.Graph.DeepClone();
        var humans = book[HumansKey] as JsonObject;
        var olds = new List<(OpenStep Open, StepRecord Old, JsonObject? Entry)>();
        foreach (var o in open)
        {
            var old = await tx.Store.GetStepAsync(o.Id, ct).ConfigureAwait(false)
                ?? throw new OrchestraException($"Step {o.Id}, open at the checkpoint, is missing from the store: choose another checkpoint.", ErrorKind.NotFound);
            olds.Add((o, old, humans?[o.Id] as JsonObject));
            humans?.Remove(o.Id);
        }
        run = run with { Graph = book };
        await tx.SaveRunAsync(run, ct).ConfigureAwait(false);

        var outputs = book["outputs"] as JsonObject ?? [];
        var created = new List<StepRecord>();
        foreach (var (o, old, entry) in olds)
        {
            var node = old.Node is { } name && graph is not null && graph.Nodes.TryGetValue(name, out var n) ? n : null;
            var held = entry?["wait"]?.GetValue<string>() == HumanWaitKind.Start.ToWire();
            var prompt = entry?["prompt"]?.GetValue<string>() ?? old.Prompt;
            if (rerender && node?.Prompt is { } template)
                prompt = template(new GraphContext(run.State, outputs, o.From is null or GraphDefinition.Start ? null : o.From, null));
            var id = Ids.NewStepId(Time);
            var step = new StepRecord
            {
                Id = id,
                RunId = runId,
                Name = old.Name,
                Node = old.Node,
                Agent = old.Agent,
                Prompt = prompt,
                Input = node is not null ? HumanInput(node, id) : old.Input?.DeepClone() as JsonObject,
                Status = held ? StepStatus.Waiting : StepStatus.Ready,
                Priority = old.Priority,
                MaxAttempts = node?.MaxAttempts ?? old.MaxAttempts,
                Timeout = node?.Timeout ?? old.Timeout,
                OnDependencyFailure = run.OnDependencyFailure,
                CreatedAt = tx.Now,
            };
            step = await tx.Store.InsertStepAsync(step, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StepCreated, runId, step.Id, new JsonObject
            {
                ["name"] = step.Name,
                ["agent"] = step.Agent,
                ["status"] = step.Status.ToWire(),
                ["from"] = o.From,
                ["copy_of"] = old.Id,
            }, ct).ConfigureAwait(false);
            if (held)
                await HoldForEdgeApprovalAsync(tx, step, ct).ConfigureAwait(false);
            created.Add(step);
        }
        return created;
    }
}
