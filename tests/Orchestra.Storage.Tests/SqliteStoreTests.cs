using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;
using Orchestra.Storage.Tests.Support;

namespace Orchestra.Storage.Tests;

/// <summary>What only the SQLite store does: files, migrations, environment failures, several processes on one file.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();

    private string DbPath => _directory.File("state/orchestra.db");

    public void Dispose() => _directory.Dispose();

    private static object? Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static long Long(string path, string sql) => Convert.ToInt64(Scalar(path, sql), CultureInfo.InvariantCulture);

    private static RunRecord Run(string id) => new() { Id = id, Kind = RunKinds.Task, Name = "t", CreatedAt = T0 };

    private static async Task InsertRunAsync(SqliteStore store, RunRecord run) => await store.TransactAsync(async t =>
    {
        await t.InsertRunAsync(run);
        return 0;
    });

    private static void AssertOneLine(OrchestraException ex, string path)
    {
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_OnAMissingPath_CreatesTheFileAndMigratesItToTheCurrentVersion()
    {
        Assert.False(Directory.Exists(Path.GetDirectoryName(DbPath)));

        var store = SqliteStore.Open(DbPath);
        Assert.Equal(DbPath, store.Description);
        await store.DisposeAsync();

        Assert.True(File.Exists(DbPath));
        Assert.Equal(SqliteStore.SchemaVersion, Long(DbPath, "PRAGMA user_version"));
        Assert.Equal("wal", Scalar(DbPath, "PRAGMA journal_mode"));
        foreach (var table in new[] { "runs", "steps", "step_deps", "events" })
            Assert.Equal(1, Long(DbPath, $"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"));
    }

    [Fact]
    public async Task Reopening_AMigratedStore_ChangesNothing_AndKeepsItsData()
    {
        await using (var store = SqliteStore.Open(DbPath))
            await InsertRunAsync(store, Run("r000000000001"));
        var schema = Scalar(DbPath, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)");

        await using (var store = SqliteStore.Open(DbPath))
            Assert.NotNull(await store.GetRunAsync("r000000000001"));

        Assert.Equal(schema, Scalar(DbPath, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)"));
        Assert.Equal(SqliteStore.SchemaVersion, Long(DbPath, "PRAGMA user_version"));
    }

    [Fact]
    public async Task Open_AVersion3Store_RebuildsStepsAndEvents_KeepingEveryRowEdgeAndSequence()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            Schema.Execute(connection, "PRAGMA foreign_keys = ON");
            Schema.Migrate(connection, DbPath, 3);
            const string columns = "id, run_id, name, agent, prompt, status, priority, pending_dependencies, on_dependency_failure, attempt, max_attempts, idempotency_key, failure_kind, input_tokens, output_tokens, cached_tokens, cost_usd, lost_attempts, created_at";
            Schema.Execute(connection, $"""
                INSERT INTO runs (id, kind, name, status, state, graph, on_dependency_failure, created_at)
                    VALUES ('run_a', 'task', 't', 'running', '{"{}"}', '{"{}"}', 'fail', 1);
                INSERT INTO steps ({columns}) VALUES ('stp_a', 'run_a', 'a', 'x', '', 'succeeded', 0, 0, 'fail', 1, 1, 'key-a', 'none', 0, 0, 0, '0', 0, 1);
                INSERT INTO steps ({columns}) VALUES ('stp_b', 'run_a', 'b', 'x', '', 'ready', 0, 0, 'fail', 1, 1, NULL, 'none', 0, 0, 0, '0', 0, 2);
                INSERT INTO step_deps (step_id, depends_on) VALUES ('stp_b', 'stp_a');
                INSERT INTO events (run_id, step_id, type, at) VALUES ('run_a', 'stp_a', 'step.created', 1), ('run_a', 'stp_b', 'step.created', 2);
                DELETE FROM events WHERE seq = 2;
                """);
            Assert.Equal(3, Schema.ReadVersion(connection));
        }

        await using (var store = SqliteStore.Open(DbPath))
        {
            var b = await store.GetStepAsync("stp_b");
            Assert.Equal(["stp_a"], b!.DependsOn);
            Assert.Equal(StepStatus.Ready, b.Status);
            Assert.Equal("stp_a", (await store.FindByIdempotencyKeyAsync("key-a"))?.Id);
            Assert.Equal(["stp_b"], (await store.ListClaimableAsync(T0, 10)).Select(s => s.Id));
            Assert.Equal([1L], (await store.ListEventsAsync("run_a", 0, 10)).Select(e => e.Seq));
            var seq = await store.TransactAsync(t => t.AppendEventAsync(new RunEvent { RunId = "run_a", Type = "run.note", At = T0 }));
            Assert.Equal(2, seq);
            await store.TransactAsync(async t =>
            {
                await t.DeleteRunAsync("run_a");
                return 0;
            });
        }

        Assert.Equal(SqliteStore.SchemaVersion, Long(DbPath, "PRAGMA user_version"));
        Assert.Equal(1, Long(DbPath, "PRAGMA foreign_keys"));
        Assert.Equal(0, Long(DbPath, "SELECT count(*) FROM steps") + Long(DbPath, "SELECT count(*) FROM step_deps") + Long(DbPath, "SELECT count(*) FROM events"));
        Assert.Equal(0, Long(DbPath, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_new' OR name IN ('steps_claim', 'steps_run_node')"));
        Assert.DoesNotContain("AUTOINCREMENT", (string)Scalar(DbPath, "SELECT group_concat(sql) FROM sqlite_schema WHERE name IN ('steps', 'events')")!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AStepWithoutAnIdempotencyKey_AndOneWithAUsedKey_AreTreatedApart()
    {
        await using var store = SqliteStore.Open(DbPath);
        await InsertRunAsync(store, Run("run_k"));
        StepRecord Step(string id, string? key) => new()
        {
            Id = id, RunId = "run_k", Name = id, Agent = "x", Prompt = "", Status = StepStatus.Ready, IdempotencyKey = key, CreatedAt = T0,
        };
        await store.TransactAsync(async t =>
        {
            await t.InsertStepAsync(Step("stp_1", null));
            await t.InsertStepAsync(Step("stp_2", null));
            await t.InsertStepAsync(Step("stp_3", "k"));
            return 0;
        });
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.TransactAsync(t => t.InsertStepAsync(Step("stp_4", "k"))).AsTask());
        Assert.Contains("idempotency key 'k' is already used", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await store.ListStepsAsync(new StepQuery { RunId = "run_k" })).Count);
    }

    [Fact]
    public async Task Open_AStoreWrittenByANewerOrchestra_IsRefused()
    {
        await (SqliteStore.Open(DbPath)).DisposeAsync();
        Scalar(DbPath, $"PRAGMA user_version = {SqliteStore.SchemaVersion + 1}");

        var ex = Assert.Throws<OrchestraException>(() => SqliteStore.Open(DbPath));

        Assert.Contains("newer Orchestra", ex.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade orchestra", ex.Message, StringComparison.Ordinal);
        AssertOneLine(ex, DbPath);
        Assert.Equal(SqliteStore.SchemaVersion + 1, Long(DbPath, "PRAGMA user_version"));
    }

    [Fact]
    public void Open_AFileThatIsNotADatabase_IsAnEnvironmentError()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        File.WriteAllText(DbPath, string.Concat(Enumerable.Repeat("this is not a database. ", 200)));

        var ex = Assert.Throws<OrchestraException>(() => SqliteStore.Open(DbPath));

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        Assert.Contains("not an Orchestra database", ex.Message, StringComparison.Ordinal);
        AssertOneLine(ex, DbPath);
    }

    [Fact]
    public void Open_AnotherApplicationsDatabase_IsRefused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        Scalar(DbPath, "CREATE TABLE contacts (name TEXT)");

        var ex = Assert.Throws<OrchestraException>(() => SqliteStore.Open(DbPath));

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        AssertOneLine(ex, DbPath);
        Assert.Equal(0, Long(DbPath, "PRAGMA user_version"));
        Assert.Equal(0, Long(DbPath, "SELECT count(*) FROM sqlite_schema WHERE name = 'steps'"));
    }

    [Fact]
    public async Task ReadOnlyStore_Reads_ButAWriteTransactionFailsWithAClearError_AndWritesNothing()
    {
        await using (var store = SqliteStore.Open(DbPath))
            await InsertRunAsync(store, Run("r000000000001"));

        await using var readOnly = SqliteStore.Open(DbPath, new SqliteStoreOptions { ReadOnly = true });
        Assert.NotNull(await readOnly.GetRunAsync("r000000000001"));
        Assert.NotNull(await readOnly.TransactAsync(t => t.GetRunAsync("r000000000001")));

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => InsertRunAsync(readOnly, Run("r000000000002")));

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
        AssertOneLine(ex, DbPath);
        Assert.Null(await readOnly.GetRunAsync("r000000000002"));
        Assert.Single(await readOnly.ListRunsAsync(10));
    }

    [Fact]
    public void ReadOnlyStore_OnAMissingFile_IsAnEnvironmentError_AndCreatesNothing()
    {
        var ex = Assert.Throws<OrchestraException>(() => SqliteStore.Open(DbPath, new SqliteStoreOptions { ReadOnly = true }));

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        AssertOneLine(ex, DbPath);
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public async Task FullDisk_FailsTheTransactionWithAClearError_AndWritesNothing()
    {
        await (SqliteStore.Open(DbPath)).DisposeAsync();
        var pages = Long(DbPath, "PRAGMA page_count");
        await using var store = SqliteStore.Open(DbPath, new SqliteStoreOptions { MaxPageCount = pages + 4 });
        await InsertRunAsync(store, Run("r000000000001"));

        var big = Run("r000000000002") with { State = new JsonObject { ["blob"] = new string('x', 1_000_000) } };
        var ex = await Assert.ThrowsAsync<OrchestraException>(() => store.TransactAsync(async t =>
        {
            await t.AppendEventAsync(new RunEvent { RunId = "r000000000001", Type = EventTypes.RunStatus, At = T0 });
            await t.InsertRunAsync(big);
            return 0;
        }).AsTask());

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        Assert.Contains("full", ex.Message, StringComparison.Ordinal);
        AssertOneLine(ex, DbPath);
        Assert.Null(await store.GetRunAsync("r000000000002"));
        Assert.Empty(await store.ListEventsAsync(null, 0, 10));
        // Small writes still fit.
        await InsertRunAsync(store, Run("r000000000003"));
        Assert.Equal(2, (await store.ListRunsAsync(10)).Count);
    }

    [Fact]
    public async Task Transaction_WhileAnotherProcessHoldsTheWriteLockTooLong_FailsWithAClearError()
    {
        await using var store = SqliteStore.Open(DbPath, new SqliteStoreOptions { BusyTimeout = TimeSpan.FromMilliseconds(50) });
        using (var other = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            other.Open();
            using var begin = other.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();

            var ex = await Assert.ThrowsAsync<OrchestraException>(() => InsertRunAsync(store, Run("r000000000001")));

            Assert.Equal(ErrorKind.Environment, ex.Kind);
            Assert.Contains("locked", ex.Message, StringComparison.Ordinal);
            AssertOneLine(ex, DbPath);
            // Readers are not blocked by the other writer.
            Assert.Empty(await store.ListRunsAsync(10));
        }

        await InsertRunAsync(store, Run("r000000000001"));
        Assert.NotNull(await store.GetRunAsync("r000000000001"));
    }

    [Fact]
    public async Task Readers_DoNotWaitForAnOpenTransaction_AndSeeTheLastCommittedState()
    {
        await using var store = SqliteStore.Open(DbPath);
        await InsertRunAsync(store, Run("r000000000001"));

        var seenDuring = await store.TransactAsync(async t =>
        {
            await t.InsertRunAsync(Run("r000000000002"));
            return (await store.ListRunsAsync(10)).Count;
        });

        Assert.Equal(1, seenDuring);
        Assert.Equal(2, (await store.ListRunsAsync(10)).Count);
    }

    [Fact]
    public async Task Dispose_ClosesEveryConnection_SoTheFileIsReleased()
    {
        var store = SqliteStore.Open(DbPath);
        await InsertRunAsync(store, Run("r000000000001"));
        await store.GetRunAsync("r000000000001");

        await store.DisposeAsync();

        // The last connection to close folds the write-ahead log back into the file and removes it.
        Assert.False(File.Exists(DbPath + "-wal"));
        File.Move(DbPath, DbPath + ".moved");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetRunAsync("r000000000001").AsTask());
    }

    [Fact]
    public async Task TwoStoresOnTheSameFile_ClaimingConcurrently_NeverClaimTheSameStepTwice()
    {
        await using var first = SqliteStore.Open(DbPath);
        await using var second = SqliteStore.Open(DbPath);
        var agents = new AgentRegistry([new EchoAgent()]);
        var engines = new[] { new OrchestraEngine(first, agents), new OrchestraEngine(second, agents) };
        var submission = await engines[0].SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Plan,
            Steps = Enumerable.Range(0, 200).Select(i => new StepSpec { Name = "t" + i, Agent = "echo" }).ToList(),
        });

        var claims = new ConcurrentBag<StepRecord>();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var engine = engines[w % 2];
            while (await engine.ClaimAsync("worker-" + w, 3) is { Count: > 0 } claimed)
            {
                foreach (var step in claimed)
                {
                    claims.Add(step);
                    Assert.Equal(CompletionOutcome.Recorded, await engine.CompleteAsync(new Completion(step, AgentResult.Success("ok"))));
                }
            }
        }));
        await Task.WhenAll(workers);

        Assert.Equal(200, claims.Count);
        Assert.Equal(200, claims.Select(s => s.Id).Distinct().Count());
        Assert.All(claims, s => Assert.Equal(1, s.Attempt));
        var summary = await second.SummarizeAsync(submission.Run.Id);
        Assert.Equal(200, summary[StepStatus.Succeeded]);
        Assert.Equal(RunStatus.Completed, (await first.GetRunAsync(submission.Run.Id))!.Status);
        Assert.Equal(200, (await first.ListEventsAsync(submission.Run.Id, 0, 10_000)).Count(e => e.Type == EventTypes.StepStarted));
    }
}
