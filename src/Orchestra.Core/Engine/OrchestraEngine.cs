using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>
/// The engine every face (task queue, plan, pipeline, conversation, ensemble) drives: it creates runs and
/// steps, hands ready steps to workers under leases, and records each result as one checkpoint.
/// </summary>
public sealed partial class OrchestraEngine
{
    private readonly IAgentResolver _userAgents;

    /// <summary>Creates an engine over a store.</summary>
    public OrchestraEngine(IStore store, IAgentResolver agents, EngineOptions? options = null, TimeProvider? time = null, GraphCatalog? graphs = null)
    {
        Store = store;
        _userAgents = agents;
        Options = options ?? new EngineOptions();
        Time = time ?? TimeProvider.System;
        Graphs = graphs ?? new GraphCatalog();
    }

    /// <summary>The store.</summary>
    public IStore Store { get; }

    /// <summary>Settings.</summary>
    public EngineOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Graphs this process can run.</summary>
    public GraphCatalog Graphs { get; }

    /// <summary>Events of this process, persisted or live-only.</summary>
    public EventHub Events { get; } = new();

    /// <summary>Finds the agent for a step: a graph's function node, or a defined agent.</summary>
    public Agent? FindAgent(string name) => Graphs.Find(name) ?? _userAgents.Find(name);

    /// <summary>True when a step may name <paramref name="name"/> as its agent.</summary>
    public bool HasAgent(string name) => Graphs.Find(name) is not null || _userAgents.Contains(name);

    /// <summary>The limits used when claiming.</summary>
    public SchedulingLimits Limits(Func<string, int?> perRun) => new()
    {
        Global = Options.GlobalLimit,
        PerAgent = a => FindAgent(a)?.MaxConcurrency,
        PerRun = perRun,
    };

    private async ValueTask<T> TransactAsync<T>(Func<Tx, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        Tx? used = null;
        var result = await Store.TransactAsync(async t =>
        {
            used = new Tx(t, Time.GetUtcNow());
            var value = await work(used).ConfigureAwait(false);
            await used.FlushAsync(cancellationToken).ConfigureAwait(false);
            return value;
        }, cancellationToken).ConfigureAwait(false);
        if (used is not null && Events.HasSubscribers)
        {
            foreach (var e in used.Appended)
                Events.Publish(e);
        }
        return result;
    }

    /// <summary>One transaction's view: the store, the time it started, the events it appended.</summary>
    private sealed partial class Tx(IStoreTransaction store, DateTimeOffset now)
    {
        private readonly Dictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
        // Runs changed in this transaction; written once, at its end, however often they changed.
        private readonly HashSet<string> _changedRuns = new(StringComparer.Ordinal);

        public IStoreTransaction Store { get; } = store;
        public DateTimeOffset Now { get; } = now;
        public List<RunEvent> Appended { get; } = [];

        public async ValueTask AppendAsync(string type, string runId, string? stepId, JsonObject? data, CancellationToken ct, DateTimeOffset? at = null, bool publish = true)
        {
            var e = new RunEvent { RunId = runId, StepId = stepId, Type = type, At = at ?? Now, Data = data };
            var seq = await Store.AppendEventAsync(e, ct).ConfigureAwait(false);
            LastSeq = Math.Max(LastSeq, seq);
            if (publish)
                Appended.Add(e with { Seq = seq });
        }

        public async ValueTask<RunRecord> RunAsync(string runId, CancellationToken ct) =>
            await FindRunAsync(runId, ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"run {runId} is missing");

        /// <summary>The run as this transaction sees it, changes included; null when there is no such run.</summary>
        public async ValueTask<RunRecord?> FindRunAsync(string runId, CancellationToken ct)
        {
            if (_runs.TryGetValue(runId, out var run))
                return run;
            run = await Store.GetRunAsync(runId, ct).ConfigureAwait(false);
            if (run is not null)
                _runs[runId] = run;
            return run;
        }

        /// <summary>Changes a run; the row is written by <see cref="FlushAsync"/>. Read it back through <see cref="RunAsync"/>.</summary>
        public ValueTask SaveRunAsync(RunRecord run, CancellationToken ct)
        {
            _runs[run.Id] = run;
            _changedRuns.Add(run.Id);
            return ValueTask.CompletedTask;
        }

        /// <summary>Writes the runs changed so far, then the checkpoints of the graph runs among them; done before the transaction commits.</summary>
        public async ValueTask FlushAsync(CancellationToken ct)
        {
            foreach (var id in _changedRuns)
                await Store.UpdateRunAsync(_runs[id], ct).ConfigureAwait(false);
            _changedRuns.Clear();
            await WriteCheckpointsAsync(ct).ConfigureAwait(false);
        }

        public async ValueTask SetRunStatusAsync(RunRecord run, RunStatus status, string? error, CancellationToken ct)
        {
            if (run.Status == status)
                return;
            Transitions.Ensure(run.Id, run.Status, status);
            var updated = run with
            {
                Status = status,
                StartedAt = run.StartedAt ?? (status == RunStatus.Running ? Now : null),
                FinishedAt = status.IsTerminal() ? Now : null,
                Error = error ?? (status.IsTerminal() ? run.Error : null),
            };
            await SaveRunAsync(updated, ct).ConfigureAwait(false);
            await AppendAsync(EventTypes.RunStatus, run.Id, null, new JsonObject { ["status"] = status.ToWire(), ["error"] = updated.Error }, ct).ConfigureAwait(false);
        }
    }
}
