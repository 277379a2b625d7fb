using Microsoft.Data.Sqlite;
using Orchestra.Core;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in write-ahead-log mode, shared safely by several processes.
/// </summary>
/// <remarks>
/// <para>
/// Writes go through <see cref="TransactAsync{T}"/> on one dedicated connection: a semaphore serializes
/// transactions within the process, and <c>BEGIN IMMEDIATE</c> takes SQLite's write lock up front so that
/// processes sharing the file serialize too (a process that finds the file locked waits up to
/// <see cref="SqliteStoreOptions.BusyTimeout"/>, and the whole transaction is retried a few times after that).
/// Reads outside a transaction use a small pool of separate connections, which thanks to the write-ahead log
/// never wait for the writer and see the last committed state.
/// </para>
/// <para>
/// Durability: with the default <see cref="SqliteSynchronous.Normal"/>, a committed transaction survives the
/// process crashing or being killed; <see cref="SqliteSynchronous.Full"/> also survives a power loss.
/// </para>
/// <para>
/// Environment failures (a read-only or unopenable file, a full disk, an I/O error, a file that is not a
/// database) surface as <see cref="OrchestraException"/> with <see cref="ErrorKind.Environment"/>, after the
/// transaction was rolled back.
/// </para>
/// </remarks>
public sealed partial class SqliteStore : IStore
{
    private const int TransactionAttempts = 3;

    private readonly SqliteStoreOptions _options;
    private readonly string _connectionString;
    private readonly StoreConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Stack<StoreConnection> _idleReaders = new();
    private readonly Lock _readersLock = new();
    private volatile bool _disposed;

    private SqliteStore(string path, SqliteStoreOptions options, string connectionString, StoreConnection writer)
    {
        Description = path;
        _options = options;
        _connectionString = connectionString;
        _writer = writer;
    }

    /// <summary>The database path, as given to <see cref="Open"/>.</summary>
    public string Description { get; }

    /// <summary>The schema version this code reads and writes.</summary>
    public static int SchemaVersion => Schema.CurrentVersion;

    /// <summary>
    /// Opens the database at <paramref name="path"/>, creating the file and its directory when missing and
    /// bringing its schema up to date (unless <see cref="SqliteStoreOptions.ReadOnly"/>).
    /// </summary>
    /// <exception cref="OrchestraException">
    /// The file cannot be created or opened, is not an Orchestra database, or was written by a newer Orchestra.
    /// </exception>
    public static SqliteStore Open(string path, SqliteStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new SqliteStoreOptions();
        var fullPath = Path.GetFullPath(path);
        if (!options.ReadOnly)
        {
            var directory = Path.GetDirectoryName(fullPath)!;
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OrchestraException($"The directory of the store {path} cannot be created: check the permissions of {directory}.", ErrorKind.Environment, ex);
            }
        }
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = options.ReadOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();

        StoreConnection? writer = null;
        try
        {
            writer = StoreConnection.Open(connectionString, options, reader: false);
            if (options.ReadOnly)
            {
                Schema.CheckReadOnly(writer.Connection, path);
            }
            else
            {
                Schema.Execute(writer.Connection, "PRAGMA journal_mode = WAL");
                Schema.Migrate(writer.Connection, path);
            }
            return new SqliteStore(path, options, connectionString, writer);
        }
        catch (SqliteException ex)
        {
            writer?.Dispose();
            throw StoreErrors.Translate(ex, path, options)
                ?? new OrchestraException($"The store {path} cannot be opened: {ex.Message}", ErrorKind.Environment, ex);
        }
        catch
        {
            writer?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<T> TransactAsync<T>(Func<IStoreTransaction, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var attempt = 1; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var transaction = new Transaction(_writer);
                var begun = false;
                try
                {
                    _writer.Begin();
                    begun = true;
                    var result = await work(transaction).ConfigureAwait(false);
                    transaction.Close();
                    _writer.Commit();
                    return result;
                }
                catch (SqliteException ex) when (StoreErrors.IsBusy(ex) && attempt < TransactionAttempts)
                {
                    // Another process held the lock past the busy timeout: nothing was written, try again.
                    Abort(transaction, begun);
                }
                catch (SqliteException ex)
                {
                    Abort(transaction, begun);
                    var translated = StoreErrors.Translate(ex, Description, _options);
                    if (translated is null)
                        throw;
                    throw translated;
                }
                catch
                {
                    Abort(transaction, begun);
                    throw;
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private void Abort(Transaction transaction, bool begun)
    {
        transaction.Close();
        if (begun)
            _writer.Rollback();
    }

    /// <summary>Closes every connection; the file is released.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Let a transaction under way finish first.
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _writer.Dispose();
            lock (_readersLock)
            {
                while (_idleReaders.TryPop(out var reader))
                    reader.Dispose();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    // ---- reads outside transactions ----

    private T Read<TArg, T>(TArg arg, Func<StoreConnection, TArg, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = RentReader();
        try
        {
            var result = read(connection, arg);
            ReturnReader(connection);
            return result;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            var translated = StoreErrors.Translate(ex, Description, _options);
            if (translated is null)
                throw;
            throw translated;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private StoreConnection RentReader()
    {
        lock (_readersLock)
        {
            if (_idleReaders.TryPop(out var idle))
                return idle;
        }
        try
        {
            return StoreConnection.Open(_connectionString, _options, reader: true);
        }
        catch (SqliteException ex)
        {
            throw StoreErrors.Translate(ex, Description, _options)
                ?? new OrchestraException($"The store {Description} cannot be opened: {ex.Message}", ErrorKind.Environment, ex);
        }
    }

    private void ReturnReader(StoreConnection connection)
    {
        lock (_readersLock)
        {
            if (!_disposed && _idleReaders.Count < _options.MaxIdleReaders)
            {
                _idleReaders.Push(connection);
                return;
            }
        }
        connection.Dispose();
    }

    /// <inheritdoc />
    public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) =>
        new(Read(id, static (c, id) => c.GetStep(id), cancellationToken));

    /// <inheritdoc />
    public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        new(Read(id, static (c, id) => c.GetRun(id), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) =>
        new(Read(query, static (c, q) => c.ListSteps(q), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) =>
        new(Read(limit, static (c, limit) => c.ListRuns(limit), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) =>
        new(Read(stepId, static (c, id) => c.GetDependants(id), cancellationToken));

    /// <inheritdoc />
    public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) =>
        new(Read(key, static (c, key) => c.FindByIdempotencyKey(key), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) =>
        new(Read((prefix, limit), static (c, a) => c.FindIdsByPrefix(a.prefix, a.limit), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        new(Read((runId, afterSeq, limit), static (c, a) => c.ListEvents(a.runId, a.afterSeq, a.limit), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        new(Read((now, limit), static (c, a) => c.ListClaimable(a.now, a.limit), cancellationToken));

    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) =>
        new(Read(0, static (c, _) => c.NextBackoff(), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        new(Read(now, static (c, now) => c.ListExpiredLeases(now), cancellationToken));

    /// <inheritdoc />
    public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) =>
        new(Read(0, static (c, _) => c.CountRunning(), cancellationToken));

    /// <inheritdoc />
    public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) =>
        new(Read(runId, static (c, runId) => c.Summarize(runId), cancellationToken));

    /// <inheritdoc />
    public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) =>
        new(Read(runId, static (c, runId) => c.HasOpenSteps(runId), cancellationToken));

    /// <inheritdoc />
    public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) =>
        new(Read(runId, static (c, runId) => c.HasFailedSteps(runId), cancellationToken));

    /// <inheritdoc />
    public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) =>
        new(Read(id, static (c, id) => c.GetSession(id), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) =>
        new(Read(limit, static (c, limit) => c.ListSessions(limit), cancellationToken));

    /// <summary>The reads and writes of one transaction, on the write connection. Unusable once the transaction ended.</summary>
    private sealed partial class Transaction(StoreConnection connection) : IStoreTransaction
    {
        private bool _closed;

        public void Close() => _closed = true;

        private StoreConnection Use(CancellationToken cancellationToken)
        {
            if (_closed)
                throw new InvalidOperationException("The transaction has ended: use the store inside the delegate given to TransactAsync only.");
            cancellationToken.ThrowIfCancellationRequested();
            return connection;
        }

        public ValueTask<StepRecord?> GetStepAsync(string id, CancellationToken cancellationToken = default) => new(Use(cancellationToken).GetStep(id));
        public ValueTask<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => new(Use(cancellationToken).GetRun(id));
        public ValueTask<IReadOnlyList<StepRecord>> ListStepsAsync(StepQuery query, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListSteps(query));
        public ValueTask<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListRuns(limit));
        public ValueTask<IReadOnlyList<string>> GetDependantsAsync(string stepId, CancellationToken cancellationToken = default) => new(Use(cancellationToken).GetDependants(stepId));
        public ValueTask<StepRecord?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken = default) => new(Use(cancellationToken).FindByIdempotencyKey(key));
        public ValueTask<IReadOnlyList<string>> FindIdsByPrefixAsync(string prefix, int limit, CancellationToken cancellationToken = default) => new(Use(cancellationToken).FindIdsByPrefix(prefix, limit));
        public ValueTask<IReadOnlyList<RunEvent>> ListEventsAsync(string? runId, long afterSeq, int limit, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListEvents(runId, afterSeq, limit));
        public ValueTask<IReadOnlyList<StepRecord>> ListClaimableAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListClaimable(now, limit));
        public ValueTask<DateTimeOffset?> NextBackoffAsync(CancellationToken cancellationToken = default) => new(Use(cancellationToken).NextBackoff());
        public ValueTask<IReadOnlyList<StepRecord>> ListExpiredLeasesAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListExpiredLeases(now));
        public ValueTask<RunningCounts> CountRunningAsync(CancellationToken cancellationToken = default) => new(Use(cancellationToken).CountRunning());
        public ValueTask<StatusSummary> SummarizeAsync(string? runId = null, CancellationToken cancellationToken = default) => new(Use(cancellationToken).Summarize(runId));
        public ValueTask<bool> HasOpenStepsAsync(string runId, CancellationToken cancellationToken = default) => new(Use(cancellationToken).HasOpenSteps(runId));
        public ValueTask<bool> HasFailedStepsAsync(string runId, CancellationToken cancellationToken = default) => new(Use(cancellationToken).HasFailedSteps(runId));
        public ValueTask<SessionRecord?> GetSessionAsync(string id, CancellationToken cancellationToken = default) => new(Use(cancellationToken).GetSession(id));
        public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(int limit, CancellationToken cancellationToken = default) => new(Use(cancellationToken).ListSessions(limit));

        public ValueTask SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken = default)
        {
            Use(cancellationToken).SaveSession(session);
            return ValueTask.CompletedTask;
        }

        public ValueTask InsertRunAsync(RunRecord run, CancellationToken cancellationToken = default)
        {
            Use(cancellationToken).InsertRun(run);
            return ValueTask.CompletedTask;
        }

        public ValueTask UpdateRunAsync(RunRecord run, CancellationToken cancellationToken = default)
        {
            Use(cancellationToken).UpdateRun(run);
            return ValueTask.CompletedTask;
        }

        public ValueTask<StepRecord> InsertStepAsync(StepRecord step, CancellationToken cancellationToken = default) =>
            new(Use(cancellationToken).InsertStep(step));

        public ValueTask UpdateStepAsync(StepRecord step, CancellationToken cancellationToken = default)
        {
            Use(cancellationToken).UpdateStep(step);
            return ValueTask.CompletedTask;
        }

        public ValueTask<long> AppendEventAsync(RunEvent runEvent, CancellationToken cancellationToken = default) =>
            new(Use(cancellationToken).AppendEvent(runEvent));

        public ValueTask DeleteRunAsync(string runId, CancellationToken cancellationToken = default)
        {
            Use(cancellationToken).DeleteRun(runId);
            return ValueTask.CompletedTask;
        }
    }
}
