using Microsoft.Data.Sqlite;
using Orchestra.Core;

namespace Orchestra.Storage.Sqlite;

/// <summary>
/// The database schema as an ordered list of migrations. The schema version is kept in
/// <c>PRAGMA user_version</c>; each migration runs in its own write transaction together with the version
/// bump, so a crash leaves the file at one version or the next, never between. Never edit a released
/// migration: append a new one.
/// </summary>
internal static class Schema
{
    /// <summary>Marks the file as an Orchestra database (<c>PRAGMA application_id</c>, "ORCH").</summary>
    public const int ApplicationId = 0x4F524348;

    // Timestamps are INTEGER unix milliseconds (UTC); durations are INTEGER milliseconds; JSON is TEXT;
    // statuses and enums use their lower-case wire names; money is TEXT (an exact decimal).
    private static readonly string[] Migrations =
    [
        // 1: runs, steps, dependency edges, events.
        $"""
        PRAGMA application_id = {ApplicationId};

        CREATE TABLE runs (
            id                    TEXT    NOT NULL PRIMARY KEY,
            kind                  TEXT    NOT NULL,
            name                  TEXT    NOT NULL,
            status                TEXT    NOT NULL,
            state                 TEXT    NOT NULL,
            graph                 TEXT    NOT NULL,
            max_parallel          INTEGER,
            on_dependency_failure TEXT    NOT NULL,
            created_at            INTEGER NOT NULL,
            started_at            INTEGER,
            finished_at           INTEGER,
            error                 TEXT
        );
        CREATE INDEX runs_newest ON runs (created_at DESC, id DESC);
        CREATE INDEX runs_paused ON runs (id) WHERE status = 'paused';

        CREATE TABLE steps (
            seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
            id                    TEXT    NOT NULL UNIQUE,
            run_id                TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name                  TEXT    NOT NULL,
            agent                 TEXT    NOT NULL,
            prompt                TEXT    NOT NULL,
            input                 TEXT,
            node                  TEXT,
            status                TEXT    NOT NULL,
            priority              INTEGER NOT NULL,
            pending_dependencies  INTEGER NOT NULL,
            on_dependency_failure TEXT    NOT NULL,
            attempt               INTEGER NOT NULL,
            max_attempts          INTEGER NOT NULL,
            timeout_ms            INTEGER,
            deadline_at           INTEGER,
            not_before            INTEGER,
            lease_owner           TEXT,
            lease_expires_at      INTEGER,
            idempotency_key       TEXT    UNIQUE,
            payload_hash          TEXT,
            handle                TEXT,
            output                TEXT,
            result                TEXT,
            error                 TEXT,
            failure_kind          TEXT    NOT NULL,
            input_tokens          INTEGER NOT NULL,
            output_tokens         INTEGER NOT NULL,
            cached_tokens         INTEGER NOT NULL,
            cost_usd              TEXT    NOT NULL,
            lost_attempts         INTEGER NOT NULL,
            created_at            INTEGER NOT NULL,
            started_at            INTEGER,
            attempt_started_at    INTEGER,
            finished_at           INTEGER
        );
        -- Claim order: ready steps by priority, then first-in first-out.
        CREATE INDEX steps_claim ON steps (status, priority DESC, seq);
        CREATE INDEX steps_run_status ON steps (run_id, status);
        CREATE INDEX steps_run_node ON steps (run_id, node, status);
        -- Running steps: lease expiry and running counts per agent and run.
        CREATE INDEX steps_running ON steps (lease_expires_at, agent, run_id) WHERE status = 'running';
        -- Ready steps waiting on a retry backoff.
        CREATE INDEX steps_backoff ON steps (not_before) WHERE status = 'ready' AND not_before IS NOT NULL;

        -- Dependency edges, in insertion order (rowid).
        CREATE TABLE step_deps (
            step_id    TEXT NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
            depends_on TEXT NOT NULL
        );
        CREATE INDEX step_deps_step ON step_deps (step_id);
        CREATE INDEX step_deps_depends_on ON step_deps (depends_on);

        CREATE TABLE events (
            seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id  TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            step_id TEXT,
            type    TEXT    NOT NULL,
            at      INTEGER NOT NULL,
            data    TEXT
        );
        CREATE INDEX events_run ON events (run_id, seq);
        """,

        // 2: conversation sessions that follow-up tasks continue.
        """
        CREATE TABLE sessions (
            id            TEXT    NOT NULL PRIMARY KEY,
            agent         TEXT    NOT NULL,
            messages      TEXT    NOT NULL,
            turns         INTEGER NOT NULL,
            input_tokens  INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            cost_usd      TEXT    NOT NULL,
            created_at    INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL
        );
        CREATE INDEX sessions_recent ON sessions (updated_at DESC);
        """,

        // 3: numbered checkpoints of graph runs, for replay and fork.
        """
        CREATE TABLE checkpoints (
            run_id  TEXT    NOT NULL,
            number  INTEGER NOT NULL,
            at      INTEGER NOT NULL,
            seq     INTEGER NOT NULL,
            reason  TEXT    NOT NULL,
            steps   TEXT,
            state   TEXT    NOT NULL,
            graph   TEXT    NOT NULL,
            details TEXT,
            PRIMARY KEY (run_id, number)
        ) WITHOUT ROWID;
        """,

        // 4: fewer pages written per transaction. Steps and events number their rows without AUTOINCREMENT (which
        // rewrote sqlite_sequence on every insert), events keep no foreign key (a run's deletion removes them), the
        // idempotency index holds only the steps that have a key, the claim index only ready steps, and the index by
        // run and node, which no query needed, is gone. Waiting steps get a small index of their own.
        """
        CREATE TABLE steps_new (
            seq                   INTEGER PRIMARY KEY,
            id                    TEXT    NOT NULL UNIQUE,
            run_id                TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name                  TEXT    NOT NULL,
            agent                 TEXT    NOT NULL,
            prompt                TEXT    NOT NULL,
            input                 TEXT,
            node                  TEXT,
            status                TEXT    NOT NULL,
            priority              INTEGER NOT NULL,
            pending_dependencies  INTEGER NOT NULL,
            on_dependency_failure TEXT    NOT NULL,
            attempt               INTEGER NOT NULL,
            max_attempts          INTEGER NOT NULL,
            timeout_ms            INTEGER,
            deadline_at           INTEGER,
            not_before            INTEGER,
            lease_owner           TEXT,
            lease_expires_at      INTEGER,
            idempotency_key       TEXT,
            payload_hash          TEXT,
            handle                TEXT,
            output                TEXT,
            result                TEXT,
            error                 TEXT,
            failure_kind          TEXT    NOT NULL,
            input_tokens          INTEGER NOT NULL,
            output_tokens         INTEGER NOT NULL,
            cached_tokens         INTEGER NOT NULL,
            cost_usd              TEXT    NOT NULL,
            lost_attempts         INTEGER NOT NULL,
            created_at            INTEGER NOT NULL,
            started_at            INTEGER,
            attempt_started_at    INTEGER,
            finished_at           INTEGER
        );
        INSERT INTO steps_new SELECT * FROM steps;
        DROP TABLE steps;
        ALTER TABLE steps_new RENAME TO steps;
        CREATE UNIQUE INDEX steps_key ON steps (idempotency_key) WHERE idempotency_key IS NOT NULL;
        -- Claim order: ready steps by priority, then first-in first-out.
        CREATE INDEX steps_ready ON steps (priority DESC, seq) WHERE status = 'ready';
        CREATE INDEX steps_run_status ON steps (run_id, status);
        CREATE INDEX steps_running ON steps (lease_expires_at, agent, run_id) WHERE status = 'running';
        CREATE INDEX steps_backoff ON steps (not_before) WHERE status = 'ready' AND not_before IS NOT NULL;
        CREATE INDEX steps_waiting ON steps (run_id) WHERE status = 'waiting';

        CREATE TABLE events_new (
            seq     INTEGER PRIMARY KEY,
            run_id  TEXT    NOT NULL,
            step_id TEXT,
            type    TEXT    NOT NULL,
            at      INTEGER NOT NULL,
            data    TEXT
        );
        INSERT INTO events_new SELECT * FROM events;
        DROP TABLE events;
        ALTER TABLE events_new RENAME TO events;
        CREATE INDEX events_run ON events (run_id, seq);
        """,
    ];

    /// <summary>The version this code writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Reads the version of an open database.</summary>
    public static int ReadVersion(SqliteConnection connection) => Pragma(connection, "user_version");

    /// <summary>
    /// Brings the database up to <see cref="CurrentVersion"/>. Safe when several processes open the same
    /// new file at once: each migration re-checks the version inside its write transaction.
    /// </summary>
    /// <exception cref="OrchestraException">The file is not an Orchestra database, or a newer Orchestra wrote it.</exception>
    public static void Migrate(SqliteConnection connection, string path) => Migrate(connection, path, CurrentVersion);

    /// <summary>Brings the database up to <paramref name="target"/> (tests build older files with it).</summary>
    internal static void Migrate(SqliteConnection connection, string path, int target)
    {
        var version = Check(connection, path);
        if (version >= target)
            return;
        // A migration that rebuilds a table drops the old one, which with foreign keys on would delete the rows that
        // point at it; the keys are checked before each commit instead. The pragma only works outside a transaction.
        Execute(connection, "PRAGMA foreign_keys = OFF");
        try
        {
            MigrateFrom(connection, path, version, target);
        }
        finally
        {
            Execute(connection, "PRAGMA foreign_keys = ON");
        }
    }

    private static void MigrateFrom(SqliteConnection connection, string path, int version, int target)
    {
        while (version < target)
        {
            Execute(connection, "BEGIN IMMEDIATE");
            try
            {
                version = Check(connection, path);
                if (version < target)
                {
                    Execute(connection, Migrations[version]);
                    CheckForeignKeys(connection, path);
                    version++;
                    Execute(connection, $"PRAGMA user_version = {version}");
                }
                Execute(connection, "COMMIT");
            }
            catch
            {
                TryRollback(connection);
                throw;
            }
        }
    }

    /// <summary>Checks a database opened read-only, which cannot be migrated.</summary>
    /// <exception cref="OrchestraException">The file is not an Orchestra database, or its version is not this code's.</exception>
    public static void CheckReadOnly(SqliteConnection connection, string path)
    {
        var version = Check(connection, path);
        if (version < CurrentVersion)
        {
            throw new OrchestraException(
                $"The store {path} has an older schema (version {version}) and cannot be upgraded when opened read-only: run an orchestra command that writes first.",
                ErrorKind.Environment);
        }
    }

    private static int Check(SqliteConnection connection, string path)
    {
        var appId = Pragma(connection, "application_id");
        if (appId != 0 && appId != ApplicationId)
        {
            throw new OrchestraException(
                $"The file {path} is an SQLite database of another application, not an Orchestra store: choose another path or move it aside.",
                ErrorKind.Environment);
        }
        var version = ReadVersion(connection);
        if (version > CurrentVersion)
        {
            throw new OrchestraException(
                $"The store {path} was written by a newer Orchestra (schema version {version}; this one knows up to {CurrentVersion}): upgrade orchestra.",
                ErrorKind.Environment);
        }
        if (version == 0 && appId == 0 && HasTables(connection))
        {
            throw new OrchestraException(
                $"The file {path} is an SQLite database of another application, not an Orchestra store: choose another path or move it aside.",
                ErrorKind.Environment);
        }
        return version;
    }

    private static void CheckForeignKeys(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_key_check";
        using var reader = command.ExecuteReader();
        if (reader.Read())
        {
            throw new OrchestraException(
                $"The store {path} holds rows of table {reader.GetString(0)} that point at missing rows, so its schema cannot be upgraded: move the file aside and run again.",
                ErrorKind.Environment);
        }
    }

    private static bool HasTables(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%')";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    private static int Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static void TryRollback(SqliteConnection connection)
    {
        try
        {
            Execute(connection, "ROLLBACK");
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back (for example after a full disk); nothing is left to undo.
        }
    }
}
