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

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

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
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }

    /// <summary>A prepared statement, created on first use and kept for the life of the connection.</summary>
    private SqliteCommand Command(string sql, Action<SqliteCommand>? addParameters = null)
    {
        if (_commands.TryGetValue(sql, out var command))
            return command;
        command = Connection.CreateCommand();
        command.CommandText = sql;
        addParameters?.Invoke(command);
        _commands[sql] = command;
        return command;
    }

    private SqliteCommand Command(string sql, string p0) => Command(sql, c => c.Parameters.Add(new SqliteParameter(p0, null)));

    private SqliteCommand Command(string sql, string p0, string p1) => Command(sql, c =>
    {
        c.Parameters.Add(new SqliteParameter(p0, null));
        c.Parameters.Add(new SqliteParameter(p1, null));
    });

    private SqliteCommand Command(string sql, string p0, string p1, string p2) => Command(sql, c =>
    {
        c.Parameters.Add(new SqliteParameter(p0, null));
        c.Parameters.Add(new SqliteParameter(p1, null));
        c.Parameters.Add(new SqliteParameter(p2, null));
    });

    // ---- transaction control ----

    public void Begin() => Command("BEGIN IMMEDIATE").ExecuteNonQuery();

    public void Commit() => Command("COMMIT").ExecuteNonQuery();

    public void Rollback()
    {
        try
        {
            Command("ROLLBACK").ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back on its own (a full disk, an I/O error): nothing is left to undo.
        }
    }

    // ---- reads ----

    public StepRecord? GetStep(string id)
    {
        var command = Command($"SELECT {StepRows.Select} FROM steps WHERE id = $id", "$id");
        command.Parameters[0].Value = id;
        var step = ReadOneStep(command);
        return step is null ? null : step with { DependsOn = DependsOn(id) };
    }

    public StepRecord? FindByIdempotencyKey(string key)
    {
        var command = Command($"SELECT {StepRows.Select} FROM steps WHERE idempotency_key = $key", "$key");
        command.Parameters[0].Value = key;
        var step = ReadOneStep(command);
        return step is null ? null : step with { DependsOn = DependsOn(step.Id) };
    }

    private List<string> DependsOn(string id)
    {
        var command = Command("SELECT depends_on FROM step_deps WHERE step_id = $id ORDER BY rowid", "$id");
        command.Parameters[0].Value = id;
        return ReadStrings(command);
    }

    public List<string> GetDependants(string id)
    {
        var command = Command("SELECT step_id FROM step_deps WHERE depends_on = $id ORDER BY rowid", "$id");
        command.Parameters[0].Value = id;
        return ReadStrings(command);
    }

    public RunRecord? GetRun(string id)
    {
        var command = Command($"SELECT {RunRows.Select} FROM runs WHERE id = $id", "$id");
        command.Parameters[0].Value = id;
        using var reader = command.ExecuteReader();
        return reader.Read() ? RunRows.Read(reader) : null;
    }

    public List<RunRecord> ListRuns(int limit)
    {
        var command = Command($"SELECT {RunRows.Select} FROM runs ORDER BY created_at DESC, id DESC LIMIT $limit", "$limit");
        command.Parameters[0].Value = limit;
        var runs = new List<RunRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            runs.Add(RunRows.Read(reader));
        return runs;
    }

    public List<StepRecord> ListSteps(StepQuery query)
    {
        if (query.Statuses is { Count: 0 } || query.Limit is <= 0)
            return [];
        var statusCount = query.Statuses?.Count ?? 0;
        // One prepared statement per shape of query; the shapes are few.
        var shape = $"{(query.RunId is null ? 0 : 1)}{(query.Node is null ? 0 : 1)}{(query.FinishedBefore is null ? 0 : 1)}{(query.Limit is null ? 0 : 1)}:{statusCount}";
        if (!_commands.TryGetValue(shape, out var command))
        {
            var where = new List<string>();
            if (query.RunId is not null) where.Add("run_id = $run");
            if (query.Node is not null) where.Add("node = $node");
            if (statusCount > 0) where.Add($"status IN ({string.Join(", ", Enumerable.Range(0, statusCount).Select(i => "$s" + i))})");
            if (query.FinishedBefore is not null) where.Add("finished_at < $before");
            var filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
            var sql = query.Limit is null
                ? $"SELECT {StepRows.Select} FROM steps{filter} ORDER BY seq"
                : $"SELECT * FROM (SELECT {StepRows.Select} FROM steps{filter} ORDER BY seq DESC LIMIT $limit) ORDER BY seq";
            command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in (string[])["$run", "$node", "$before", "$limit"])
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            for (var i = 0; i < statusCount; i++)
                command.Parameters.Add(new SqliteParameter("$s" + i, DBNull.Value));
            _commands[shape] = command;
        }
        var p = command.Parameters;
        p[0].Value = Values.Text(query.RunId);
        p[1].Value = Values.Text(query.Node);
        p[2].Value = Values.Time(query.FinishedBefore);
        p[3].Value = query.Limit is { } limit ? limit : DBNull.Value;
        for (var i = 0; i < statusCount; i++)
            p[4 + i].Value = query.Statuses![i].ToWire();
        var steps = ReadSteps(command);
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
        var command = Command(
            """
            SELECT id FROM (
                SELECT id FROM runs WHERE id >= $lo AND id < $hi AND substr(id, 1, length($lo)) = $lo
                UNION ALL
                SELECT id FROM steps WHERE id >= $lo AND id < $hi AND substr(id, 1, length($lo)) = $lo)
            ORDER BY id LIMIT $limit
            """, "$lo", "$hi", "$limit");
        command.Parameters[0].Value = prefix;
        // The smallest string greater than every string starting with the prefix (ordinal order).
        var last = prefix[^1];
        command.Parameters[1].Value = last == char.MaxValue ? prefix + char.MaxValue : prefix[..^1] + (char)(last + 1);
        command.Parameters[2].Value = limit;
        return ReadStrings(command);
    }

    public List<RunEvent> ListEvents(string? runId, long afterSeq, int limit)
    {
        var command = runId is null
            ? Command($"SELECT {EventRows.Select} FROM events WHERE seq > $after ORDER BY seq LIMIT $limit", "$after", "$limit")
            : Command($"SELECT {EventRows.Select} FROM events WHERE run_id = $run AND seq > $after ORDER BY seq LIMIT $limit", "$after", "$limit", "$run");
        command.Parameters[0].Value = afterSeq;
        command.Parameters[1].Value = limit;
        if (runId is not null)
            command.Parameters[2].Value = runId;
        var events = new List<RunEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            events.Add(EventRows.Read(reader));
        return events;
    }

    public List<StepRecord> ListClaimable(DateTimeOffset now, int limit)
    {
        var command = Command(
            $"""
            SELECT {StepRows.Select} FROM steps
            WHERE status = 'ready' AND (not_before IS NULL OR not_before <= $now)
              AND run_id NOT IN (SELECT id FROM runs WHERE status = 'paused')
            ORDER BY priority DESC, seq
            LIMIT $limit
            """, "$now", "$limit");
        command.Parameters[0].Value = now.ToUnixTimeMilliseconds();
        command.Parameters[1].Value = limit;
        return ReadSteps(command);
    }

    public DateTimeOffset? NextBackoff()
    {
        var command = Command("SELECT min(not_before) FROM steps INDEXED BY steps_backoff WHERE status = 'ready' AND not_before IS NOT NULL");
        return command.ExecuteScalar() is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public List<StepRecord> ListExpiredLeases(DateTimeOffset now)
    {
        var command = Command(
            $"SELECT {StepRows.Select} FROM steps INDEXED BY steps_running WHERE status = 'running' AND lease_expires_at < $now ORDER BY lease_expires_at",
            "$now");
        command.Parameters[0].Value = now.ToUnixTimeMilliseconds();
        return ReadSteps(command);
    }

    public RunningCounts CountRunning()
    {
        var command = Command("SELECT agent, run_id, count(*) FROM steps INDEXED BY steps_running WHERE status = 'running' GROUP BY agent, run_id");
        var byAgent = new Dictionary<string, int>(StringComparer.Ordinal);
        var byRun = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var agent = reader.GetString(0);
                var run = reader.GetString(1);
                var count = reader.GetInt32(2);
                byAgent[agent] = byAgent.GetValueOrDefault(agent) + count;
                byRun[run] = byRun.GetValueOrDefault(run) + count;
                total += count;
            }
        }
        return new RunningCounts { Total = total, ByAgent = byAgent, ByRun = byRun };
    }

    public StatusSummary Summarize(string? runId)
    {
        var command = runId is null
            ? Command("SELECT status, count(*) FROM steps GROUP BY status")
            : Command("SELECT status, count(*) FROM steps WHERE run_id = $run GROUP BY status", "$run");
        if (runId is not null)
            command.Parameters[0].Value = runId;
        var counts = new Dictionary<StepStatus, int>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                counts[Values.ReadStepStatus(reader, 0)] = reader.GetInt32(1);
        }
        return new StatusSummary(counts);
    }

    public bool HasOpenSteps(string runId)
    {
        var command = Command($"SELECT EXISTS (SELECT 1 FROM steps WHERE run_id = $run AND status IN {OpenStatuses})", "$run");
        command.Parameters[0].Value = runId;
        return (long)command.ExecuteScalar()! != 0;
    }

    public bool HasFailedSteps(string runId)
    {
        var command = Command($"SELECT EXISTS (SELECT 1 FROM steps WHERE run_id = $run AND status IN {FailedStatuses})", "$run");
        command.Parameters[0].Value = runId;
        return (long)command.ExecuteScalar()! != 0;
    }

    public SessionRecord? GetSession(string id)
    {
        var command = Command($"SELECT {SessionRows.Select}, messages FROM sessions WHERE id = $id", "$id");
        command.Parameters[0].Value = id;
        using var reader = command.ExecuteReader();
        return reader.Read() ? SessionRows.Read(reader, withMessages: true) : null;
    }

    public List<SessionRecord> ListSessions(int limit)
    {
        var command = Command($"SELECT {SessionRows.Select} FROM sessions ORDER BY updated_at DESC, id LIMIT $limit", "$limit");
        command.Parameters[0].Value = limit;
        using var reader = command.ExecuteReader();
        var list = new List<SessionRecord>();
        while (reader.Read())
            list.Add(SessionRows.Read(reader, withMessages: false));
        return list;
    }

    // ---- writes (inside a transaction) ----

    public void SaveSession(SessionRecord session)
    {
        var command = Command(SessionRows.Upsert, SessionRows.AddParameters);
        SessionRows.Bind(command.Parameters, session);
        command.ExecuteNonQuery();
    }

    public void InsertRun(RunRecord run)
    {
        var command = Command(RunRows.Insert, RunRows.AddParameters);
        RunRows.Bind(command.Parameters, run);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException ex) when (IsUniqueViolation(ex))
        {
            throw new InvalidOperationException($"run {run.Id} already exists", ex);
        }
    }

    public void UpdateRun(RunRecord run)
    {
        var command = Command(RunRows.Update, RunRows.AddParameters);
        RunRows.Bind(command.Parameters, run);
        if (command.ExecuteNonQuery() == 0)
            throw new InvalidOperationException($"run {run.Id} does not exist");
        RememberDocuments(run, command.Parameters);
    }

    public StepRecord InsertStep(StepRecord step)
    {
        var command = Command(StepRows.Insert, StepRows.AddParameters);
        StepRows.Bind(command.Parameters, step);
        long seq;
        try
        {
            seq = (long)command.ExecuteScalar()!;
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
            var edge = Command("INSERT INTO step_deps (step_id, depends_on) VALUES ($step, $dep)", "$step", "$dep");
            edge.Parameters[0].Value = step.Id;
            foreach (var dep in step.DependsOn)
            {
                edge.Parameters[1].Value = dep;
                edge.ExecuteNonQuery();
            }
        }
        return step with { Seq = seq };
    }

    public void UpdateStep(StepRecord step)
    {
        var command = Command(StepRows.Update, StepRows.AddParameters);
        StepRows.Bind(command.Parameters, step);
        if (command.ExecuteNonQuery() == 0)
            throw new InvalidOperationException($"step {step.Id} does not exist");
    }

    public long AppendEvent(RunEvent runEvent)
    {
        var command = Command(EventRows.Insert, EventRows.AddParameters);
        EventRows.Bind(command.Parameters, runEvent);
        return (long)command.ExecuteScalar()!;
    }

    public void DeleteRun(string runId)
    {
        var command = Command(
            """
            DELETE FROM step_deps WHERE step_id IN (SELECT id FROM steps WHERE run_id = $run);
            DELETE FROM events WHERE run_id = $run;
            DELETE FROM checkpoints WHERE run_id = $run;
            DELETE FROM steps WHERE run_id = $run;
            DELETE FROM runs WHERE id = $run;
            """, "$run");
        command.Parameters[0].Value = runId;
        command.ExecuteNonQuery();
    }

    // ---- helpers ----

    private static bool IsUniqueViolation(SqliteException ex) =>
        ex.SqliteErrorCode == 19 && ex.SqliteExtendedErrorCode is 2067 or 1555; // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY

    private static StepRecord? ReadOneStep(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? StepRows.Read(reader) : null;
    }

    private static List<StepRecord> ReadSteps(SqliteCommand command)
    {
        var steps = new List<StepRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            steps.Add(StepRows.Read(reader));
        return steps;
    }

    private static List<string> ReadStrings(SqliteCommand command)
    {
        var list = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            list.Add(reader.GetString(0));
        return list;
    }
}
