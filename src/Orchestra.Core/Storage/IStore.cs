using Orchestra.Core.Model;

namespace Orchestra.Core.Storage;

/// <summary>Which steps a listing returns.</summary>
public sealed record StepQuery
{
    /// <summary>Only steps of this run.</summary>
    public string? RunId { get; init; }

    /// <summary>Only steps activating this graph node.</summary>
    public string? Node { get; init; }

    /// <summary>Only steps in one of these statuses; null for any.</summary>
    public IReadOnlyList<StepStatus>? Statuses { get; init; }

    /// <summary>Only steps that finished before this time.</summary>
    public DateTimeOffset? FinishedBefore { get; init; }

    /// <summary>At most this many, newest first when limited. Null for all, in creation order.</summary>
    public int? Limit { get; init; }

    /// <summary>Fill <see cref="StepRecord.DependsOn"/> of each step (one more read per step).</summary>
    public bool IncludeDependencies { get; init; }
}

/// <summary>How many steps are running, in all, per agent and per run.</summary>
public sealed record RunningCounts
{
    /// <summary>Running steps in all.</summary>
    public int Total { get; init; }

    /// <summary>Running steps per agent.</summary>
    public IReadOnlyDictionary<string, int> ByAgent { get; init; } = new Dictionary<string, int>();

    /// <summary>Running steps per run.</summary>
    public IReadOnlyDictionary<string, int> ByRun { get; init; } = new Dictionary<string, int>();
}

/// <summary>Counts of steps per status.</summary>
public sealed record StatusSummary(IReadOnlyDictionary<StepStatus, int> Counts)
{
    /// <summary>The count for one status.</summary>
    public int this[StepStatus status] => Counts.GetValueOrDefault(status);
}

/// <summary>Reads that work both inside and outside a transaction.</summary>
public interface IStoreReader
{
    /// <summary>One step, with its dependency ids, or null.</summary>
    ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>One run, or null.</summary>
    ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Steps matching <paramref name="query"/>, in creation order; dependency ids only when the query asks for them.</summary>
    ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>The ids of the steps that depend on <paramref name="stepId"/>.</summary>
    ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default);

    /// <summary>The step created with this idempotency key, or null.</summary>
    ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Ids of runs or steps that start with <paramref name="prefix"/>, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default);

    /// <summary>Events of a run after <paramref name="afterSeq"/>, oldest first; all runs when <paramref name="runId"/> is null.</summary>
    ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Ready steps whose backoff has passed, highest priority first, then first-in first-out.</summary>
    ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>The earliest time a ready step becomes claimable, or null when none is waiting on backoff.</summary>
    ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default);

    /// <summary>Running steps whose lease expired before <paramref name="now"/>.</summary>
    ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Running steps: how many in all, per agent and per run.</summary>
    ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default);

    /// <summary>Steps per status, over all runs or one.</summary>
    ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default);

    /// <summary>True when the run still has a step that is not terminal.</summary>
    ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>True when one of the run's steps ended failed or timed out.</summary>
    ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>One conversation session, or null.</summary>
    ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Sessions, most recently updated first, at most <paramref name="limit"/>; transcripts are left empty.</summary>
    ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Checkpoint <paramref name="number"/> of a run, or null.</summary>
    ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default);

    /// <summary>A run's checkpoints, oldest first.</summary>
    ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Writes, inside one transaction. Everything a checkpoint changes — a step's result, the state delta,
/// the steps made ready or created, the events — goes through one of these and commits together.
/// </summary>
public interface IStoreTransaction : IStoreReader
{
    /// <summary>Adds a run.</summary>
    ValueTask InsertRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>Replaces a run's row.</summary>
    ValueTask UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default);

    /// <summary>Adds a step and its dependency edges; returns it with the store's <see cref="StepRecord.Seq"/>.</summary>
    ValueTask<StepRecord> InsertStepAsync(StepRecord step, CancellationToken cancellationToken = default);

    /// <summary>Replaces a step's row (dependency edges are unchanged).</summary>
    ValueTask UpdateStepAsync(StepRecord step, CancellationToken cancellationToken = default);

    /// <summary>Appends an event; returns its sequence number.</summary>
    ValueTask<long> AppendEventAsync(RunEvent runEvent, CancellationToken cancellationToken = default);

    /// <summary>Appends a checkpoint to its run; returns it with the store's <see cref="CheckpointRecord.Number"/> (the run's last plus one).</summary>
    ValueTask<CheckpointRecord> AppendCheckpointAsync(CheckpointRecord checkpoint, CancellationToken cancellationToken = default);

    /// <summary>Removes a run with its steps, edges, events and checkpoints.</summary>
    ValueTask DeleteRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Adds a session or replaces the one with the same id.</summary>
    ValueTask SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken = default);
}

/// <summary>
/// Durable storage for runs, steps and events. The engine owns this contract; SQLite and PostgreSQL
/// implement it and pass the same contract test suite.
/// </summary>
public interface IStore : IStoreReader, IAsyncDisposable
{
    /// <summary>
    /// Runs <paramref name="work"/> in one serializable transaction and commits it, or rolls back
    /// everything when it throws. Transactions that touch the same run never interleave.
    /// </summary>
    ValueTask<T> TransactAsync<T>(Func<IStoreTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default);

    /// <summary>A description for messages, for example the database path.</summary>
    string Description { get; }
}
