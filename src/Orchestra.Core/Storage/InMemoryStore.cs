using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Storage;

/// <summary>
/// A store that lives in memory: for tests, in-memory graph runs and benchmarks. It honours the whole
/// store contract, transactions included (an undo log rolls back a failed one).
/// </summary>
public sealed class InMemoryStore : IStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StepRecord> _steps = new(StringComparer.Ordinal);
    // Step ids of each run in insertion (seq) order: run-scoped reads cost the run's size, not the store's.
    private readonly Dictionary<string, List<string>> _byRun = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _dependsOn = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _dependants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idempotency = new(StringComparer.Ordinal);
    private readonly SortedSet<StepRecord> _ready = new(ClaimOrder.Instance);
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly List<RunEvent> _events = [];
    private readonly Dictionary<string, SessionRecord> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CheckpointRecord>> _checkpoints = new(StringComparer.Ordinal);
    private long _seq;
    private List<Action>? _undo;

    /// <inheritdoc />
    public string Description => "in-memory store";

    /// <inheritdoc />
    public async ValueTask<T> TransactAsync<T>(Func<IStoreTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var undo = _undo = [];
        try
        {
            var result = await work(new Transaction(this)).ConfigureAwait(false);
            _undo = null;
            return result;
        }
        catch
        {
            for (var i = undo.Count - 1; i >= 0; i--)
                undo[i]();
            _undo = null;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return read();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class ClaimOrder : IComparer<StepRecord>
    {
        public static readonly ClaimOrder Instance = new();

        public int Compare(StepRecord? x, StepRecord? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            var c = y.Priority.CompareTo(x.Priority);
            if (c != 0) return c;
            c = x.Seq.CompareTo(y.Seq);
            return c != 0 ? c : string.CompareOrdinal(x.Id, y.Id);
        }
    }

    // ---- reads (caller holds the gate) ----

    private StepRecord? Step(string id) =>
        _steps.TryGetValue(id, out var s) ? s with { DependsOn = _dependsOn.TryGetValue(id, out var d) ? d.ToArray() : [] } : null;

    private IEnumerable<StepRecord> StepsOfRun(string runId) =>
        _byRun.TryGetValue(runId, out var ids) ? ids.Select(id => _steps[id]) : [];

    private List<StepRecord> Steps(StepQuery q)
    {
        // Ready and running steps are indexed: a query for them reads the index when it is the shorter list, as it is
        // for a long run or across runs. Other queries read the run's steps, or every step.
        IEnumerable<StepRecord> all;
        var ofRun = q.RunId is null ? null : _byRun.GetValueOrDefault(q.RunId);
        if (q.Statuses is { } only && only.All(s => s is StepStatus.Ready or StepStatus.Running)
            && (q.RunId is null || ofRun is not null && ofRun.Count > _ready.Count + _running.Count))
        {
            all = (only.Contains(StepStatus.Running) ? _running.Select(id => _steps[id]) : []).Concat(only.Contains(StepStatus.Ready) ? _ready : []);
            if (q.RunId is { } runId)
                all = all.Where(s => s.RunId == runId);
        }
        else
        {
            all = q.RunId is not null ? StepsOfRun(q.RunId) : _steps.Values;
        }
        if (q.Node is not null) all = all.Where(s => s.Node == q.Node);
        if (q.Statuses is not null) all = all.Where(s => q.Statuses.Contains(s.Status));
        if (q.FinishedBefore is { } before) all = all.Where(s => s.FinishedAt is { } f && f < before);
        var ordered = all.OrderBy(s => s.Seq).ToList();
        if (q.Limit is { } limit && ordered.Count > limit)
            ordered = ordered.Skip(ordered.Count - limit).ToList();
        return q.IncludeDependencies ? ordered.Select(s => Step(s.Id)!).ToList() : ordered;
    }

    private RunningCounts Running()
    {
        var byAgent = new Dictionary<string, int>(StringComparer.Ordinal);
        var byRun = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in _running)
        {
            var s = _steps[id];
            byAgent[s.Agent] = byAgent.GetValueOrDefault(s.Agent) + 1;
            byRun[s.RunId] = byRun.GetValueOrDefault(s.RunId) + 1;
        }
        return new RunningCounts { Total = _running.Count, ByAgent = byAgent, ByRun = byRun };
    }

    private List<StepRecord> Claimable(DateTimeOffset now, int limit)
    {
        var list = new List<StepRecord>(Math.Min(limit, _ready.Count));
        foreach (var s in _ready)
        {
            if (s.NotBefore is { } nb && nb > now) continue;
            if (_runs.TryGetValue(s.RunId, out var run) && run.Status == RunStatus.Paused) continue;
            list.Add(s);
            if (list.Count >= limit) break;
        }
        return list;
    }

    private StatusSummary Summarize(string? runId)
    {
        var counts = new Dictionary<StepStatus, int>();
        foreach (var s in runId is null ? _steps.Values : StepsOfRun(runId))
            counts[s.Status] = counts.GetValueOrDefault(s.Status) + 1;
        return new StatusSummary(counts);
    }

    // ---- writes (caller holds the gate, inside a transaction) ----

    private void PutStep(StepRecord step)
    {
        var had = _steps.TryGetValue(step.Id, out var old);
        if (had) Unindex(old!);
        _steps[step.Id] = step with { DependsOn = [] };
        Index(_steps[step.Id]);
        _undo!.Add(() =>
        {
            Unindex(_steps[step.Id]);
            if (had)
            {
                _steps[step.Id] = old!;
                Index(old!);
            }
            else
            {
                _steps.Remove(step.Id);
            }
        });
    }

    private void Index(StepRecord s)
    {
        if (s.Status == StepStatus.Ready) _ready.Add(s);
        if (s.Status == StepStatus.Running) _running.Add(s.Id);
    }

    private void Unindex(StepRecord s)
    {
        _ready.Remove(s);
        _running.Remove(s.Id);
    }

    private void AddEdge(Dictionary<string, List<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = [];
        list.Add(value);
        _undo!.Add(() => list.Remove(value));
    }

    private sealed class Transaction(InMemoryStore store) : IStoreTransaction
    {
        public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => new(store.Step(id));
        public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => new(store._runs.GetValueOrDefault(id));
        public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => new(store.Steps(query));
        public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => new(store.Runs(limit));
        public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => new(store.Dependants(stepId));
        public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) => new(store.ByKey(key));
        public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => new(store.ByPrefix(prefix, limit));
        public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => new(store.Events(runId, afterSeq, limit));
        public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => new(store.Claimable(now, limit));
        public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => new(store.NextBackoff());
        public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => new(store.Expired(now));
        public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => new(store.Running());
        public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => new(store.Summarize(runId));
        public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => new(store.HasOpen(runId));
        public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => new(store.HasFailed(runId));
        public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => new(store.Session(id));
        public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => new(store.Sessions(limit));
        public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) => new(store.Checkpoint(runId, number));
        public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) => new(store.Checkpoints(runId));

        public ValueTask<CheckpointRecord> AppendCheckpointAsync(CheckpointRecord checkpoint, CancellationToken cancellationToken = default)
        {
            if (!store._checkpoints.TryGetValue(checkpoint.RunId, out var list))
                store._checkpoints[checkpoint.RunId] = list = [];
            // The engine replaces a run's documents rather than changing them (as UpdateRunAsync relies on), so they
            // are kept as given; readers get copies.
            var stored = checkpoint with { Number = list.Count + 1 };
            list.Add(stored);
            store._undo!.Add(() => list.RemoveAt(list.Count - 1));
            return new(stored);
        }

        public ValueTask SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken = default)
        {
            var old = store._sessions.GetValueOrDefault(session.Id);
            store._sessions[session.Id] = session with { Messages = (JsonArray)session.Messages.DeepClone() };
            store._undo!.Add(() =>
            {
                if (old is null) store._sessions.Remove(session.Id);
                else store._sessions[session.Id] = old;
            });
            return ValueTask.CompletedTask;
        }

        public ValueTask InsertRunAsync(RunRecord run, CancellationToken cancellationToken = default)
        {
            if (!store._runs.TryAdd(run.Id, run))
                throw new InvalidOperationException($"run {run.Id} already exists");
            store._undo!.Add(() => store._runs.Remove(run.Id));
            return ValueTask.CompletedTask;
        }

        public ValueTask UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
        {
            var old = store._runs.TryGetValue(run.Id, out var o) ? o : throw new InvalidOperationException($"run {run.Id} does not exist");
            store._runs[run.Id] = run;
            store._undo!.Add(() => store._runs[run.Id] = old);
            return ValueTask.CompletedTask;
        }

        public ValueTask<StepRecord> InsertStepAsync(StepRecord step, CancellationToken cancellationToken = default)
        {
            if (store._steps.ContainsKey(step.Id))
                throw new InvalidOperationException($"step {step.Id} already exists");
            if (step.IdempotencyKey is { } key)
            {
                if (!store._idempotency.TryAdd(key, step.Id))
                    throw new InvalidOperationException($"idempotency key '{key}' is already used");
                store._undo!.Add(() => store._idempotency.Remove(key));
            }
            var seq = ++store._seq;
            var stored = step with { Seq = seq };
            store.PutStep(stored);
            store.AddEdge(store._byRun, step.RunId, step.Id);
            foreach (var dep in step.DependsOn)
            {
                store.AddEdge(store._dependsOn, step.Id, dep);
                store.AddEdge(store._dependants, dep, step.Id);
            }
            return new(stored with { DependsOn = step.DependsOn });
        }

        public ValueTask UpdateStepAsync(StepRecord step, CancellationToken cancellationToken = default)
        {
            if (!store._steps.TryGetValue(step.Id, out var old))
                throw new InvalidOperationException($"step {step.Id} does not exist");
            store.PutStep(step with { Seq = old.Seq });
            return ValueTask.CompletedTask;
        }

        public ValueTask<long> AppendEventAsync(RunEvent runEvent, CancellationToken cancellationToken = default)
        {
            var seq = store._events.Count == 0 ? 1 : store._events[^1].Seq + 1;
            store._events.Add(runEvent with { Seq = seq });
            store._undo!.Add(() => store._events.RemoveAt(store._events.Count - 1));
            return new(seq);
        }

        public ValueTask DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
        {
            // Deletion is not undone: callers delete in a transaction of its own.
            foreach (var s in store.StepsOfRun(runId).ToList())
            {
                store.Unindex(s);
                store._steps.Remove(s.Id);
                store._dependsOn.Remove(s.Id);
                store._dependants.Remove(s.Id);
                if (s.IdempotencyKey is { } key) store._idempotency.Remove(key);
            }
            store._byRun.Remove(runId);
            store._events.RemoveAll(e => e.RunId == runId);
            store._checkpoints.Remove(runId);
            store._runs.Remove(runId);
            return ValueTask.CompletedTask;
        }
    }

    private List<RunRecord> Runs(int limit) => _runs.Values.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).Take(limit).ToList();

    private List<string> Dependants(string id) => _dependants.TryGetValue(id, out var d) ? d.ToList() : [];

    private StepRecord? ByKey(string key) => _idempotency.TryGetValue(key, out var id) ? Step(id) : null;

    private List<string> ByPrefix(string prefix, int limit) =>
        _runs.Keys.Concat(_steps.Keys).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).Take(limit).ToList();

    private List<RunEvent> Events(string? runId, long afterSeq, int limit) =>
        _events.Where(e => e.Seq > afterSeq && (runId is null || e.RunId == runId)).Take(limit).ToList();

    private DateTimeOffset? NextBackoff()
    {
        DateTimeOffset? next = null;
        foreach (var s in _ready)
        {
            if (s.NotBefore is { } nb && (next is null || nb < next))
                next = nb;
        }
        return next;
    }

    private List<StepRecord> Expired(DateTimeOffset now) =>
        _running.Select(id => _steps[id]).Where(s => s.LeaseExpiresAt is { } e && e < now).ToList();

    private bool HasOpen(string runId)
    {
        if (!_byRun.TryGetValue(runId, out var ids))
            return false;
        // Newest first: a run's open steps are nearly always its latest.
        for (var i = ids.Count - 1; i >= 0; i--)
        {
            if (!_steps[ids[i]].Status.IsTerminal())
                return true;
        }
        return false;
    }

    // Copies, so that a caller changing a transcript never changes the stored one.
    private SessionRecord? Session(string id) =>
        _sessions.TryGetValue(id, out var s) ? s with { Messages = (JsonArray)s.Messages.DeepClone() } : null;

    private List<SessionRecord> Sessions(int limit) =>
        _sessions.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Take(limit).Select(s => s with { Messages = [] }).ToList();

    private CheckpointRecord? Checkpoint(string runId, int number) =>
        _checkpoints.TryGetValue(runId, out var list) && number >= 1 && number <= list.Count ? Copy(list[number - 1]) : null;

    private List<CheckpointRecord> Checkpoints(string runId) =>
        _checkpoints.TryGetValue(runId, out var list) ? list.Select(Copy).ToList() : [];

    private static CheckpointRecord Copy(CheckpointRecord c) =>
        c with { State = (JsonObject)c.State.DeepClone(), Graph = (JsonObject)c.Graph.DeepClone(), Details = c.Details?.DeepClone() as JsonObject };

    private bool HasFailed(string runId) => StepsOfRun(runId).Any(s => s.Status is StepStatus.Failed or StepStatus.TimedOut);

    // IStoreReader outside transactions: the same reads under the gate.
    /// <inheritdoc />
    public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => ReadAsync(() => Step(id), cancellationToken);
    /// <inheritdoc />
    public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => ReadAsync(() => _runs.GetValueOrDefault(id), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<StepRecord>>(() => Steps(query), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<RunRecord>>(() => Runs(limit), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<string>>(() => Dependants(stepId), cancellationToken);
    /// <inheritdoc />
    public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) => ReadAsync(() => ByKey(key), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<string>>(() => ByPrefix(prefix, limit), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<RunEvent>>(() => Events(runId, afterSeq, limit), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<StepRecord>>(() => Claimable(now, limit), cancellationToken);
    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => ReadAsync(NextBackoff, cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<StepRecord>>(() => Expired(now), cancellationToken);
    /// <inheritdoc />
    public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => ReadAsync(Running, cancellationToken);
    /// <inheritdoc />
    public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => ReadAsync(() => Summarize(runId), cancellationToken);
    /// <inheritdoc />
    public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => ReadAsync(() => HasOpen(runId), cancellationToken);
    /// <inheritdoc />
    public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => ReadAsync(() => HasFailed(runId), cancellationToken);
    /// <inheritdoc />
    public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => ReadAsync(() => Session(id), cancellationToken);
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<SessionRecord>>(() => Sessions(limit), cancellationToken);

    /// <inheritdoc />
    public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) => ReadAsync(() => Checkpoint(runId, number), cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) => ReadAsync<IReadOnlyList<CheckpointRecord>>(() => Checkpoints(runId), cancellationToken);
}
