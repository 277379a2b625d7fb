using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Storage.Tests.Support;

/// <summary>
/// Passes everything to another store, except that idempotency-key lookups made outside a transaction wait
/// until <c>parties</c> of them have been made: every concurrent submitter has looked before any of them writes.
/// </summary>
public sealed class KeyLookupBarrierStore(IStore inner, int parties) : IStore
{
    private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    public string Description => inner.Description;

    public async ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default)
    {
        var found = await inner.FindByIdempotencyKeyAsync(key, cancellationToken);
        if (Interlocked.Increment(ref _arrived) == parties)
            _allArrived.SetResult();
        await _allArrived.Task.WaitAsync(cancellationToken);
        return found;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the inner store belongs to the test
    public ValueTask<T> TransactAsync<T>(Func<IStoreTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default) => inner.TransactAsync(work, cancellationToken);
    public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => inner.GetStepAsync(id, cancellationToken);
    public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => inner.GetRunAsync(id, cancellationToken);
    public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => inner.ListStepsAsync(query, cancellationToken);
    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => inner.ListRunsAsync(limit, cancellationToken);
    public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => inner.GetDependantsAsync(stepId, cancellationToken);
    public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => inner.FindIdsByPrefixAsync(prefix, limit, cancellationToken);
    public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => inner.ListEventsAsync(runId, afterSeq, limit, cancellationToken);
    public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => inner.ListClaimableAsync(now, limit, cancellationToken);
    public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => inner.NextBackoffAsync(cancellationToken);
    public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.ListExpiredLeasesAsync(now, cancellationToken);
    public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => inner.CountRunningAsync(cancellationToken);
    public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => inner.SummarizeAsync(runId, cancellationToken);
    public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => inner.HasOpenStepsAsync(runId, cancellationToken);
    public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => inner.HasFailedStepsAsync(runId, cancellationToken);
    public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => inner.GetSessionAsync(id, cancellationToken);
    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => inner.ListSessionsAsync(limit, cancellationToken);
    public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) => inner.GetCheckpointAsync(runId, number, cancellationToken);
    public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) => inner.ListCheckpointsAsync(runId, cancellationToken);
}
