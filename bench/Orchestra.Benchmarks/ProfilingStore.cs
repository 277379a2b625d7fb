using System.Diagnostics;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Benchmarks;

/// <summary>
/// Wraps a store and adds up the time spent in each of its calls, to show where a graph step's time goes:
/// reads outside transactions, each call inside one, the engine's own work inside a transaction, and
/// begin + commit. Everything else a run costs is the worker's scheduling and the node itself.
/// </summary>
internal sealed class ProfilingStore(IStore inner) : IStore
{
    private readonly Dictionary<string, (long Ticks, int Calls)> _totals = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public string Description => inner.Description;

    /// <summary>The totals so far, by call ("tx:" prefixes calls made inside a transaction), and clears them.</summary>
    public Dictionary<string, (TimeSpan Time, int Calls)> Take()
    {
        lock (_lock)
        {
            var copy = _totals.ToDictionary(kv => kv.Key, kv => (Stopwatch.GetElapsedTime(0, kv.Value.Ticks), kv.Value.Calls), StringComparer.Ordinal);
            _totals.Clear();
            return copy;
        }
    }

    private void Add(string name, long ticks)
    {
        lock (_lock)
        {
            var (t, c) = _totals.GetValueOrDefault(name);
            _totals[name] = (t + ticks, c + 1);
        }
    }

    private async ValueTask<T> Time<T>(string name, Func<ValueTask<T>> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            Add(name, Stopwatch.GetTimestamp() - start);
        }
    }

    private async ValueTask Time(string name, Func<ValueTask> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await call().ConfigureAwait(false);
        }
        finally
        {
            Add(name, Stopwatch.GetTimestamp() - start);
        }
    }

    public async ValueTask<T> TransactAsync<T>(Func<IStoreTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        long inside = 0;
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.TransactAsync(async tx =>
            {
                var begun = Stopwatch.GetTimestamp();
                try
                {
                    return await work(new Transaction(this, tx)).ConfigureAwait(false);
                }
                finally
                {
                    inside = Stopwatch.GetTimestamp() - begun;
                    Add("transaction work (engine + tx: calls)", inside);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Add("transaction gate + begin + commit", Stopwatch.GetTimestamp() - start - inside);
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => Time("GetStep", () => inner.GetStepAsync(id, cancellationToken));
    public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => Time("GetRun", () => inner.GetRunAsync(id, cancellationToken));
    public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => Time("ListSteps", () => inner.ListStepsAsync(query, cancellationToken));
    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => Time("ListRuns", () => inner.ListRunsAsync(limit, cancellationToken));
    public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => Time("GetDependants", () => inner.GetDependantsAsync(stepId, cancellationToken));
    public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) => Time("FindByIdempotencyKey", () => inner.FindByIdempotencyKeyAsync(key, cancellationToken));
    public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => Time("FindIdsByPrefix", () => inner.FindIdsByPrefixAsync(prefix, limit, cancellationToken));
    public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => Time("ListEvents", () => inner.ListEventsAsync(runId, afterSeq, limit, cancellationToken));
    public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Time("ListClaimable", () => inner.ListClaimableAsync(now, limit, cancellationToken));
    public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => Time("NextBackoff", () => inner.NextBackoffAsync(cancellationToken));
    public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => Time("ListExpiredLeases", () => inner.ListExpiredLeasesAsync(now, cancellationToken));
    public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => Time("CountRunning", () => inner.CountRunningAsync(cancellationToken));
    public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => Time("Summarize", () => inner.SummarizeAsync(runId, cancellationToken));
    public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => Time("HasOpenSteps", () => inner.HasOpenStepsAsync(runId, cancellationToken));
    public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => Time("HasFailedSteps", () => inner.HasFailedStepsAsync(runId, cancellationToken));
    public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => Time("GetSession", () => inner.GetSessionAsync(id, cancellationToken));
    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => Time("ListSessions", () => inner.ListSessionsAsync(limit, cancellationToken));
    public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) => Time("GetCheckpoint", () => inner.GetCheckpointAsync(runId, number, cancellationToken));
    public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) => Time("ListCheckpoints", () => inner.ListCheckpointsAsync(runId, cancellationToken));

    private sealed class Transaction(ProfilingStore p, IStoreTransaction tx) : IStoreTransaction
    {
        public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => p.Time("tx:GetStep", () => tx.GetStepAsync(id, cancellationToken));
        public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => p.Time("tx:GetRun", () => tx.GetRunAsync(id, cancellationToken));
        public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => p.Time("tx:ListSteps", () => tx.ListStepsAsync(query, cancellationToken));
        public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => p.Time("tx:ListRuns", () => tx.ListRunsAsync(limit, cancellationToken));
        public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => p.Time("tx:GetDependants", () => tx.GetDependantsAsync(stepId, cancellationToken));
        public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) => p.Time("tx:FindByIdempotencyKey", () => tx.FindByIdempotencyKeyAsync(key, cancellationToken));
        public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => p.Time("tx:FindIdsByPrefix", () => tx.FindIdsByPrefixAsync(prefix, limit, cancellationToken));
        public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => p.Time("tx:ListEvents", () => tx.ListEventsAsync(runId, afterSeq, limit, cancellationToken));
        public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => p.Time("tx:ListClaimable", () => tx.ListClaimableAsync(now, limit, cancellationToken));
        public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => p.Time("tx:NextBackoff", () => tx.NextBackoffAsync(cancellationToken));
        public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => p.Time("tx:ListExpiredLeases", () => tx.ListExpiredLeasesAsync(now, cancellationToken));
        public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => p.Time("tx:CountRunning", () => tx.CountRunningAsync(cancellationToken));
        public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => p.Time("tx:Summarize", () => tx.SummarizeAsync(runId, cancellationToken));
        public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => p.Time("tx:HasOpenSteps", () => tx.HasOpenStepsAsync(runId, cancellationToken));
        public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => p.Time("tx:HasFailedSteps", () => tx.HasFailedStepsAsync(runId, cancellationToken));
        public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => p.Time("tx:GetSession", () => tx.GetSessionAsync(id, cancellationToken));
        public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => p.Time("tx:ListSessions", () => tx.ListSessionsAsync(limit, cancellationToken));
        public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) => p.Time("tx:GetCheckpoint", () => tx.GetCheckpointAsync(runId, number, cancellationToken));
        public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) => p.Time("tx:ListCheckpoints", () => tx.ListCheckpointsAsync(runId, cancellationToken));
        public ValueTask<CheckpointRecord> AppendCheckpointAsync(CheckpointRecord checkpoint, CancellationToken cancellationToken = default) => p.Time("tx:AppendCheckpoint", () => tx.AppendCheckpointAsync(checkpoint, cancellationToken));
        public ValueTask InsertRunAsync(RunRecord run, CancellationToken cancellationToken = default) => p.Time("tx:InsertRun", () => tx.InsertRunAsync(run, cancellationToken));
        public ValueTask UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default) => p.Time("tx:UpdateRun", () => tx.UpdateRunAsync(run, cancellationToken));
        public ValueTask<StepRecord> InsertStepAsync(StepRecord step, CancellationToken cancellationToken = default) => p.Time("tx:InsertStep", () => tx.InsertStepAsync(step, cancellationToken));
        public ValueTask UpdateStepAsync(StepRecord step, CancellationToken cancellationToken = default) => p.Time("tx:UpdateStep", () => tx.UpdateStepAsync(step, cancellationToken));
        public ValueTask<long> AppendEventAsync(RunEvent runEvent, CancellationToken cancellationToken = default) => p.Time("tx:AppendEvent", () => tx.AppendEventAsync(runEvent, cancellationToken));
        public ValueTask DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => p.Time("tx:DeleteRun", () => tx.DeleteRunAsync(runId, cancellationToken));
        public ValueTask SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken = default) => p.Time("tx:SaveSession", () => tx.SaveSessionAsync(session, cancellationToken));
    }
}
