using Microsoft.Data.Sqlite;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Storage.Sqlite;

/// <summary>
/// One SQLite connection with its prepared statements and every query of the store contract, run
/// synchronously (Microsoft.Data.Sqlite is synchronous anyway). Not thread-safe: the store hands each
/// connection to one caller at a time.
/// </summary>
internal sealed partial class StoreConnection : IDisposable
{
    private const string OpenStatuses = "('pending', 'ready', 'running', 'waiting')";
    private const string FailedStatuses = "('failed', 'timed_out')";

    private readonly Dictionary<string, Statement> _statements = new(StringComparer.Ordinal);
    private readonly Utf8Buffer _buffer = new();

    private StoreConnection(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>Opens a connection and sets the per-connection pragmas.</summary>
    public static StoreConnection Open(string connectionString, SqliteStoreOptions options, bool reader)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var sync = options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";
            Schema.Execute(connection,
                $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync};"
                // The writer folds the log back into the file every 8000 pages (about 32 MB) rather than 1000: the same hot
                // pages (a run's row, its open steps) are written back once per checkpoint of the log, not eight times.
                + (reader ? " PRAGMA query_only = ON;" : " PRAGMA wal_autocheckpoint = 8000;")
                + (options.MaxPageCount is { } pages && !reader ? $" PRAGMA max_page_count = {pages};" : ""));
            return new StoreConnection(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Statements first: a connection closes only once its statements are finalized.
        foreach (var statement in _statements.Values)
            statement.Dispose();
        _statements.Clear();
        _buffer.Dispose();
        Connection.Dispose();
    }

    /// <summary>A prepared statement, created on first use and kept for the life of the connection.</summary>
    private Statement Statement(string sql, params string[] parameters)
    {
        if (_statements.TryGetValue(sql, out var statement))
            return statement;
        statement = new Statement(Connection.Handle!, _buffer, sql, parameters);
        _statements[sql] = statement;
        return statement;
    }

    // ---- transaction control ----

    public void Begin() => Statement("BEGIN IMMEDIATE").Execute();

    public void Commit() => Statement("COMMIT").Execute();

    public void Rollback()
    {
        try
        {
            Statement("ROLLBACK").Execute();
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back on its own (a full disk, an I/O error): nothing is left to undo.
        }
    }

    // ---- reads ----

    public StepRecord? GetStep(string id)
    {
        var statement = Statement($"SELECT {StepRows.Select} FROM steps WHERE id = $id", "$id");
        statement.Bind(0, id);
        var step = statement.One(StepRows.Read);
        return step is null ? null : step with { DependsOn = DependsOn(id) };
    }

    public StepRecord? FindByIdempotencyKey(string key)
    {
        var statement = Statement($"SELECT {StepRows.Select} FROM steps WHERE idempotency_key = $key", "$key");
        statement.Bind(0, key);
        var step = statement.One(StepRows.Read);
        return step is null ? null : step with { DependsOn = DependsOn(step.Id) };
    }

    private List<string> DependsOn(string id)
    {
        var statement = Statement("SELECT depends_on FROM step_deps WHERE step_id = $id ORDER BY rowid", "$id");
        statement.Bind(0, id);
        return statement.All(FirstText);
    }

    public List<string> GetDependants(string id)
    {
        var statement = Statement("SELECT step_id FROM step_deps WHERE depends_on = $id ORDER BY rowid", "$id");
        statement.Bind(0, id);
        return statement.All(FirstText);
    }

    public RunRecord? GetRun(string id)
    {
        var statement = Statement($"SELECT {RunRows.Select} FROM runs WHERE id = $id", "$id");
        statement.Bind(0, id);
        return statement.One(RunRows.Read);
    }

    public List<RunRecord> ListRuns(int limit)
    {
        var statement = Statement($"SELECT {RunRows.Select} FROM runs ORDER BY created_at DESC, id DESC LIMIT $limit", "$limit");
        statement.Bind(0, limit);
        return statement.All(RunRows.Read);
    }

    public List<StepRecord> ListSteps(StepQuery query)
    {
        if (query.Statuses is { Count: 0 } || query.Limit is <= 0)
            return [];
        var where = new List<string>(4);
        var parameters = new List<string>(4);
        if (query.RunId is not null)
        {
            where.Add("run_id = $run");
            parameters.Add("$run");
        }
        if (query.Node is not null)
        {
            where.Add("node = $node");
            parameters.Add("$node");
        }
        // Statuses are written into the statement, not bound: the planner can then use the partial indexes of ready,
        // running and waiting steps. They are the enum's fixed wire names.
        if (query.Statuses is { } statuses)
            where.Add(statuses.Count == 1 ? $"status = '{statuses[0].ToWire()}'" : $"status IN ({string.Join(", ", statuses.Select(s => $"'{s.ToWire()}'"))})");
        if (query.FinishedBefore is not null)
        {
            where.Add("finished_at < $before");
            parameters.Add("$before");
        }
        var filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        string sql;
        if (query.Limit is null)
        {
            sql = $"SELECT {StepRows.Select} FROM steps{filter} ORDER BY seq";
        }
        else
        {
            sql = $"SELECT * FROM (SELECT {StepRows.Select} FROM steps{filter} ORDER BY seq DESC LIMIT $limit) ORDER BY seq";
            parameters.Add("$limit");
        }
        // One prepared statement per shape of query; the shapes are few.
        var statement = Statement(sql, [.. parameters]);
        var p = 0;
        if (query.RunId is not null) statement.Bind(p++, query.RunId);
        if (query.Node is not null) statement.Bind(p++, query.Node);
        if (query.FinishedBefore is { } before) statement.Bind(p++, before);
        if (query.Limit is { } limit) statement.Bind(p, limit);
        var steps = statement.All(StepRows.Read);
        if (query.IncludeDependencies)
        {
            for (var i = 0; i < steps.Count; i++)
                steps[i] = steps[i] with { DependsOn = DependsOn(steps[i].Id) };
        }
        return steps;
    }

    public List<string> FindIdsByPrefix(string prefix, int limit)
    {
        if (prefix.Length == 0 || limit <= 0)
            return [];
        var statement = Statement(
            """
            SELECT id FROM (
                SELECT id FROM runs WHERE id >= $lo AND id < $hi AND substr(id, 1, length($lo)) = $lo
                UNION ALL
                SELECT id FROM steps WHERE id >= $lo AND id < $hi AND substr(id, 1, length($lo)) = $lo)
            ORDER BY id LIMIT $limit
            """, "$lo", "$hi", "$limit");
        statement.Bind(0, prefix);
        // The smallest string greater than every string starting with the prefix (ordinal order).
        var last = prefix[^1];
        statement.Bind(1, last == char.MaxValue ? prefix + char.MaxValue : prefix[..^1] + (char)(last + 1));
        statement.Bind(2, limit);
        return statement.All(FirstText);
    }

    public List<RunEvent> ListEvents(string? runId, long afterSeq, int limit)
    {
        var statement = runId is null
            ? Statement($"SELECT {EventRows.Select} FROM events WHERE seq > $after ORDER BY seq LIMIT $limit", "$after", "$limit")
            : Statement($"SELECT {EventRows.Select} FROM events WHERE run_id = $run AND seq > $after ORDER BY seq LIMIT $limit", "$after", "$limit", "$run");
        statement.Bind(0, afterSeq);
        statement.Bind(1, limit);
        if (runId is not null)
            statement.Bind(2, runId);
        return statement.All(EventRows.Read);
    }

    public List<StepRecord> ListClaimable(DateTimeOffset now, int limit)
    {
        var statement = Statement(
            $"""
            SELECT {StepRows.Select} FROM steps
            WHERE status = 'ready' AND (not_before IS NULL OR not_before <= $now)
              AND run_id NOT IN (SELECT id FROM runs WHERE status = 'paused')
            ORDER BY priority DESC, seq
            LIMIT $limit
            """, "$now", "$limit");
        statement.Bind(0, now);
        statement.Bind(1, limit);
        return statement.All(StepRows.Read);
    }

    public DateTimeOffset? NextBackoff() =>
        Statement("SELECT min(not_before) FROM steps INDEXED BY steps_backoff WHERE status = 'ready' AND not_before IS NOT NULL").Scalar() is { } ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    public List<StepRecord> ListExpiredLeases(DateTimeOffset now)
    {
        var statement = Statement(
            $"SELECT {StepRows.Select} FROM steps INDEXED BY steps_running WHERE status = 'running' AND lease_expires_at < $now ORDER BY lease_expires_at",
            "$now");
        statement.Bind(0, now);
        return statement.All(StepRows.Read);
    }

    public RunningCounts CountRunning()
    {
        var rows = Statement("SELECT agent, run_id, count(*) FROM steps INDEXED BY steps_running WHERE status = 'running' GROUP BY agent, run_id")
            .All(static r => (Agent: r.Text(0), Run: r.Text(1), Count: r.Int32(2)));
        var byAgent = new Dictionary<string, int>(StringComparer.Ordinal);
        var byRun = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var (agent, run, count) in rows)
        {
            byAgent[agent] = byAgent.GetValueOrDefault(agent) + count;
            byRun[run] = byRun.GetValueOrDefault(run) + count;
            total += count;
        }
        return new RunningCounts { Total = total, ByAgent = byAgent, ByRun = byRun };
    }

    public StatusSummary Summarize(string? runId)
    {
        var statement = runId is null
            ? Statement("SELECT status, count(*) FROM steps GROUP BY status")
            : Statement("SELECT status, count(*) FROM steps WHERE run_id = $run GROUP BY status", "$run");
        if (runId is not null)
            statement.Bind(0, runId);
        var counts = new Dictionary<StepStatus, int>();
        foreach (var (status, count) in statement.All(static r => (Values.ReadStepStatus(r, 0), r.Int32(1))))
            counts[status] = count;
        return new StatusSummary(counts);
    }

    public bool HasOpenSteps(string runId)
    {
        var statement = Statement($"SELECT EXISTS (SELECT 1 FROM steps WHERE run_id = $run AND status IN {OpenStatuses})", "$run");
        statement.Bind(0, runId);
        return statement.Scalar() != 0;
    }

    public bool HasFailedSteps(string runId)
    {
        var statement = Statement($"SELECT EXISTS (SELECT 1 FROM steps WHERE run_id = $run AND status IN {FailedStatuses})", "$run");
        statement.Bind(0, runId);
        return statement.Scalar() != 0;
    }

    public SessionRecord? GetSession(string id)
    {
        var statement = Statement($"SELECT {SessionRows.Select}, messages FROM sessions WHERE id = $id", "$id");
        statement.Bind(0, id);
        return statement.One(static r => SessionRows.Read(r, withMessages: true));
    }

    public List<SessionRecord> ListSessions(int limit)
    {
        var statement = Statement($"SELECT {SessionRows.Select} FROM sessions ORDER BY updated_at DESC, id LIMIT $limit", "$limit");
        statement.Bind(0, limit);
        return statement.All(static r => SessionRows.Read(r, withMessages: false));
    }

    // ---- writes (inside a transaction) ----

    public void SaveSession(SessionRecord session)
    {
        var statement = Statement(SessionRows.Upsert, SessionRows.Parameters);
        SessionRows.Bind(statement, session);
        statement.Execute();
    }

    public void InsertRun(RunRecord run)
    {
        var statement = Statement(RunRows.Insert, RunRows.Parameters);
        RunRows.Bind(statement, run, Remember(run.State, ref _lastState, ref _lastStateText), Remember(run.Graph, ref _lastGraph, ref _lastGraphText));
        try
        {
            statement.Execute();
        }
        catch (SqliteException ex) when (IsUniqueViolation(ex))
        {
            throw new InvalidOperationException($"run {run.Id} already exists", ex);
        }
    }

    public void UpdateRun(RunRecord run)
    {
        var statement = Statement(RunRows.Update, RunRows.Parameters);
        RunRows.Bind(statement, run, Remember(run.State, ref _lastState, ref _lastStateText), Remember(run.Graph, ref _lastGraph, ref _lastGraphText));
        if (statement.Execute() == 0)
            throw new InvalidOperationException($"run {run.Id} does not exist");
    }

    public StepRecord InsertStep(StepRecord step)
    {
        var statement = Statement(StepRows.Insert, StepRows.Parameters);
        StepRows.Bind(statement, step);
        long seq;
        try
        {
            seq = statement.Insert();
        }
        catch (SqliteException ex) when (IsUniqueViolation(ex))
        {
            var what = step.IdempotencyKey is { } key && FindByIdempotencyKey(key) is not null
                ? $"idempotency key '{key}' is already used"
                : $"step {step.Id} already exists";
            throw new InvalidOperationException(what, ex);
        }
        if (step.DependsOn.Count > 0)
        {
            var edge = Statement("INSERT INTO step_deps (step_id, depends_on) VALUES ($step, $dep)", "$step", "$dep");
            edge.Bind(0, step.Id);
            foreach (var dep in step.DependsOn)
            {
                edge.Bind(1, dep);
                edge.Execute();
            }
        }
        return step with { Seq = seq };
    }

    public void UpdateStep(StepRecord step)
    {
        var statement = Statement(StepRows.Update, StepRows.Parameters);
        StepRows.Bind(statement, step);
        if (statement.Execute() == 0)
            throw new InvalidOperationException($"step {step.Id} does not exist");
    }

    public long AppendEvent(RunEvent runEvent)
    {
        var statement = Statement(EventRows.Insert, EventRows.Parameters);
        EventRows.Bind(statement, runEvent);
        return statement.Insert();
    }

    public void DeleteRun(string runId)
    {
        foreach (var sql in (string[])[
            "DELETE FROM step_deps WHERE step_id IN (SELECT id FROM steps WHERE run_id = $run)",
            "DELETE FROM events WHERE run_id = $run",
            "DELETE FROM checkpoints WHERE run_id = $run",
            "DELETE FROM steps WHERE run_id = $run",
            "DELETE FROM runs WHERE id = $run"])
        {
            var statement = Statement(sql, "$run");
            statement.Bind(0, runId);
            statement.Execute();
        }
    }

    // ---- helpers ----

    private static bool IsUniqueViolation(SqliteException ex) =>
        ex.SqliteErrorCode == 19 && ex.SqliteExtendedErrorCode is 2067 or 1555; // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY

    private static string FirstText(Statement r) => r.Text(0);
}
