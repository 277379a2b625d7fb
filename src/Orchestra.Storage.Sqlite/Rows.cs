using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestra.Core.Model;

namespace Orchestra.Storage.Sqlite;

/// <summary>Conversions between column values and model values.</summary>
internal static class Values
{
    public static object Time(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static object Time(DateTimeOffset? value) => value is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    public static object Text(string? value) => value is null ? DBNull.Value : value;

    public static object Json(JsonNode? value) => value is null ? DBNull.Value : value.ToJsonString();

    public static object Int(int? value) => value is { } v ? v : DBNull.Value;

    public static object Millis(TimeSpan? value) => value is { } v ? (long)v.TotalMilliseconds : DBNull.Value;

    public static string Policy(DependencyFailurePolicy policy) => policy switch
    {
        DependencyFailurePolicy.Skip => "skip",
        _ => "fail",
    };

    public static string Failure(FailureKind kind) => kind switch
    {
        FailureKind.None => "none",
        FailureKind.Transient => "transient",
        FailureKind.Permanent => "permanent",
        FailureKind.Timeout => "timeout",
        FailureKind.Budget => "budget",
        FailureKind.Dependency => "dependency",
        FailureKind.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static DateTimeOffset ReadTime(SqliteDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    // Nullable columns are read with one GetValue (one type check, one fetch) rather than IsDBNull and a typed
    // getter, which checks the type again: every call crosses into native code, and rows have many columns.

    public static DateTimeOffset? ReadTimeOrNull(SqliteDataReader r, int i) => r.GetValue(i) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static string? ReadTextOrNull(SqliteDataReader r, int i) => r.GetValue(i) as string;

    public static int? ReadIntOrNull(SqliteDataReader r, int i) => r.GetValue(i) is long n ? checked((int)n) : null;

    public static TimeSpan? ReadMillisOrNull(SqliteDataReader r, int i) => r.GetValue(i) is long ms ? TimeSpan.FromMilliseconds(ms) : null;

    public static JsonNode? ReadJsonOrNull(SqliteDataReader r, int i) => r.GetValue(i) is string json ? JsonNode.Parse(json) : null;

    public static JsonObject? ReadObjectOrNull(SqliteDataReader r, int i) => ReadJsonOrNull(r, i) as JsonObject;

    public static JsonObject ReadObject(SqliteDataReader r, int i) => ReadObjectOrNull(r, i) ?? [];

    // Hot paths: a switch on the wire names rather than Statuses.TryParse*, which enumerates the enum.
    public static StepStatus ReadStepStatus(SqliteDataReader r, int i) => r.GetString(i) switch
    {
        "pending" => StepStatus.Pending,
        "ready" => StepStatus.Ready,
        "running" => StepStatus.Running,
        "waiting" => StepStatus.Waiting,
        "succeeded" => StepStatus.Succeeded,
        "failed" => StepStatus.Failed,
        "cancelled" => StepStatus.Cancelled,
        "timed_out" => StepStatus.TimedOut,
        "skipped" => StepStatus.Skipped,
        "superseded" => StepStatus.Superseded,
        var other => throw Unknown("step status", other),
    };

    public static RunStatus ReadRunStatus(SqliteDataReader r, int i) => r.GetString(i) switch
    {
        "created" => RunStatus.Created,
        "running" => RunStatus.Running,
        "paused" => RunStatus.Paused,
        "completed" => RunStatus.Completed,
        "failed" => RunStatus.Failed,
        "cancelled" => RunStatus.Cancelled,
        var other => throw Unknown("run status", other),
    };

    public static DependencyFailurePolicy ReadPolicy(SqliteDataReader r, int i) => r.GetString(i) switch
    {
        "fail" => DependencyFailurePolicy.Fail,
        "skip" => DependencyFailurePolicy.Skip,
        var other => throw Unknown("dependency failure policy", other),
    };

    public static FailureKind ReadFailure(SqliteDataReader r, int i) => r.GetString(i) switch
    {
        "none" => FailureKind.None,
        "transient" => FailureKind.Transient,
        "permanent" => FailureKind.Permanent,
        "timeout" => FailureKind.Timeout,
        "budget" => FailureKind.Budget,
        "dependency" => FailureKind.Dependency,
        "cancelled" => FailureKind.Cancelled,
        var other => throw Unknown("failure kind", other),
    };

    public static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal ReadMoney(SqliteDataReader r, int i) => decimal.Parse(r.GetString(i), NumberStyles.Number, CultureInfo.InvariantCulture);

    private static InvalidOperationException Unknown(string what, string value) =>
        new($"The store holds an unknown {what} '{value}'.");
}

/// <summary>The steps table: column lists, parameter binding and row reading, all in one column order.</summary>
internal static class StepRows
{
    /// <summary>Every column but <c>seq</c>, in binding order.</summary>
    public static readonly string[] Writable =
    [
        "id", "run_id", "name", "agent", "prompt", "input", "node", "status", "priority", "pending_dependencies",
        "on_dependency_failure", "attempt", "max_attempts", "timeout_ms", "deadline_at", "not_before", "lease_owner",
        "lease_expires_at", "idempotency_key", "payload_hash", "handle", "output", "result", "error", "failure_kind",
        "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "lost_attempts", "created_at", "started_at",
        "attempt_started_at", "finished_at",
    ];

    /// <summary>The columns a query selects, <c>seq</c> first, then <see cref="Writable"/>.</summary>
    public static readonly string Select = "seq, " + string.Join(", ", Writable);

    /// <summary>The same with a table alias.</summary>
    public static string SelectFrom(string alias) => alias + ".seq, " + string.Join(", ", Writable.Select(c => alias + "." + c));

    public static readonly string Insert =
        $"INSERT INTO steps ({string.Join(", ", Writable)}) VALUES ({string.Join(", ", Writable.Select(c => "$" + c))}) RETURNING seq";

    public static readonly string Update =
        $"UPDATE steps SET {string.Join(", ", Writable.Skip(1).Select(c => c + " = $" + c))} WHERE id = $id";

    public static void AddParameters(SqliteCommand command)
    {
        foreach (var c in Writable)
            command.Parameters.Add(new SqliteParameter("$" + c, null));
    }

    public static void Bind(SqliteParameterCollection p, StepRecord s)
    {
        p[0].Value = s.Id;
        p[1].Value = s.RunId;
        p[2].Value = s.Name;
        p[3].Value = s.Agent;
        p[4].Value = s.Prompt;
        p[5].Value = Values.Json(s.Input);
        p[6].Value = Values.Text(s.Node);
        p[7].Value = s.Status.ToWire();
        p[8].Value = s.Priority;
        p[9].Value = s.PendingDependencies;
        p[10].Value = Values.Policy(s.OnDependencyFailure);
        p[11].Value = s.Attempt;
        p[12].Value = s.MaxAttempts;
        p[13].Value = Values.Millis(s.Timeout);
        p[14].Value = Values.Time(s.DeadlineAt);
        p[15].Value = Values.Time(s.NotBefore);
        p[16].Value = Values.Text(s.LeaseOwner);
        p[17].Value = Values.Time(s.LeaseExpiresAt);
        p[18].Value = Values.Text(s.IdempotencyKey);
        p[19].Value = Values.Text(s.PayloadHash);
        p[20].Value = Values.Text(s.Handle);
        p[21].Value = Values.Text(s.Output);
        p[22].Value = Values.Json(s.Result);
        p[23].Value = Values.Text(s.Error);
        p[24].Value = Values.Failure(s.FailureKind);
        p[25].Value = s.Usage.InputTokens;
        p[26].Value = s.Usage.OutputTokens;
        p[27].Value = s.Usage.CachedTokens;
        p[28].Value = Values.Money(s.Usage.CostUsd);
        p[29].Value = s.LostAttempts;
        p[30].Value = Values.Time(s.CreatedAt);
        p[31].Value = Values.Time(s.StartedAt);
        p[32].Value = Values.Time(s.AttemptStartedAt);
        p[33].Value = Values.Time(s.FinishedAt);
    }

    /// <summary>Reads a row selected with <see cref="Select"/>; dependency ids are not filled.</summary>
    public static StepRecord Read(SqliteDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        Id = r.GetString(1),
        RunId = r.GetString(2),
        Name = r.GetString(3),
        Agent = r.GetString(4),
        Prompt = r.GetString(5),
        Input = Values.ReadObjectOrNull(r, 6),
        Node = Values.ReadTextOrNull(r, 7),
        Status = Values.ReadStepStatus(r, 8),
        Priority = r.GetInt32(9),
        PendingDependencies = r.GetInt32(10),
        OnDependencyFailure = Values.ReadPolicy(r, 11),
        Attempt = r.GetInt32(12),
        MaxAttempts = r.GetInt32(13),
        Timeout = Values.ReadMillisOrNull(r, 14),
        DeadlineAt = Values.ReadTimeOrNull(r, 15),
        NotBefore = Values.ReadTimeOrNull(r, 16),
        LeaseOwner = Values.ReadTextOrNull(r, 17),
        LeaseExpiresAt = Values.ReadTimeOrNull(r, 18),
        IdempotencyKey = Values.ReadTextOrNull(r, 19),
        PayloadHash = Values.ReadTextOrNull(r, 20),
        Handle = Values.ReadTextOrNull(r, 21),
        Output = Values.ReadTextOrNull(r, 22),
        Result = Values.ReadJsonOrNull(r, 23),
        Error = Values.ReadTextOrNull(r, 24),
        FailureKind = Values.ReadFailure(r, 25),
        Usage = new Usage
        {
            InputTokens = r.GetInt64(26),
            OutputTokens = r.GetInt64(27),
            CachedTokens = r.GetInt64(28),
            CostUsd = Values.ReadMoney(r, 29),
        },
        LostAttempts = r.GetInt32(30),
        CreatedAt = Values.ReadTime(r, 31),
        StartedAt = Values.ReadTimeOrNull(r, 32),
        AttemptStartedAt = Values.ReadTimeOrNull(r, 33),
        FinishedAt = Values.ReadTimeOrNull(r, 34),
    };
}

/// <summary>The runs table.</summary>
internal static class RunRows
{
    public static readonly string[] Columns =
    [
        "id", "kind", "name", "status", "state", "graph", "max_parallel", "on_dependency_failure", "created_at",
        "started_at", "finished_at", "error",
    ];

    public static readonly string Select = string.Join(", ", Columns);

    public static readonly string Insert =
        $"INSERT INTO runs ({Select}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})";

    // kind and created_at never change; leaving them out spares the runs_newest index a write on every update.
    public static readonly string Update =
        $"UPDATE runs SET {string.Join(", ", Columns.Skip(1).Where(c => c is not ("kind" or "created_at")).Select(c => c + " = $" + c))} WHERE id = $id";

    public static void AddParameters(SqliteCommand command)
    {
        foreach (var c in Columns)
            command.Parameters.Add(new SqliteParameter("$" + c, null));
    }

    public static void Bind(SqliteParameterCollection p, RunRecord run)
    {
        p[0].Value = run.Id;
        p[1].Value = run.Kind;
        p[2].Value = run.Name;
        p[3].Value = run.Status.ToWire();
        p[4].Value = run.State.ToJsonString();
        p[5].Value = run.Graph.ToJsonString();
        p[6].Value = Values.Int(run.MaxParallel);
        p[7].Value = Values.Policy(run.OnDependencyFailure);
        p[8].Value = Values.Time(run.CreatedAt);
        p[9].Value = Values.Time(run.StartedAt);
        p[10].Value = Values.Time(run.FinishedAt);
        p[11].Value = Values.Text(run.Error);
    }

    public static RunRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Kind = r.GetString(1),
        Name = r.GetString(2),
        Status = Values.ReadRunStatus(r, 3),
        State = Values.ReadObject(r, 4),
        Graph = Values.ReadObject(r, 5),
        MaxParallel = Values.ReadIntOrNull(r, 6),
        OnDependencyFailure = Values.ReadPolicy(r, 7),
        CreatedAt = Values.ReadTime(r, 8),
        StartedAt = Values.ReadTimeOrNull(r, 9),
        FinishedAt = Values.ReadTimeOrNull(r, 10),
        Error = Values.ReadTextOrNull(r, 11),
    };
}

/// <summary>The events table.</summary>
internal static class EventRows
{
    public const string Select = "seq, run_id, step_id, type, at, data";

    public const string Insert = "INSERT INTO events (run_id, step_id, type, at, data) VALUES ($run_id, $step_id, $type, $at, $data) RETURNING seq";

    public static void AddParameters(SqliteCommand command)
    {
        foreach (var c in (string[])["$run_id", "$step_id", "$type", "$at", "$data"])
            command.Parameters.Add(new SqliteParameter(c, null));
    }

    public static void Bind(SqliteParameterCollection p, RunEvent e)
    {
        p[0].Value = e.RunId;
        p[1].Value = Values.Text(e.StepId);
        p[2].Value = e.Type;
        p[3].Value = Values.Time(e.At);
        p[4].Value = Values.Json(e.Data);
    }

    public static RunEvent Read(SqliteDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        RunId = r.GetString(1),
        StepId = Values.ReadTextOrNull(r, 2),
        Type = r.GetString(3),
        At = Values.ReadTime(r, 4),
        Data = Values.ReadObjectOrNull(r, 5),
    };
}

internal static class SessionRows
{
    public const string Select = "id, agent, turns, input_tokens, output_tokens, cached_tokens, cost_usd, created_at, updated_at";

    public const string Upsert =
        """
        INSERT INTO sessions (id, agent, messages, turns, input_tokens, output_tokens, cached_tokens, cost_usd, created_at, updated_at)
        VALUES ($id, $agent, $messages, $turns, $input_tokens, $output_tokens, $cached_tokens, $cost_usd, $created_at, $updated_at)
        ON CONFLICT (id) DO UPDATE SET agent = excluded.agent, messages = excluded.messages, turns = excluded.turns,
            input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, cached_tokens = excluded.cached_tokens,
            cost_usd = excluded.cost_usd, updated_at = excluded.updated_at
        """;

    public static readonly string[] Parameters =
        ["$id", "$agent", "$messages", "$turns", "$input_tokens", "$output_tokens", "$cached_tokens", "$cost_usd", "$created_at", "$updated_at"];

    public static void AddParameters(SqliteCommand command)
    {
        foreach (var p in Parameters)
            command.Parameters.Add(new SqliteParameter(p, null));
    }

    public static void Bind(SqliteParameterCollection p, SessionRecord s)
    {
        p[0].Value = s.Id;
        p[1].Value = s.Agent;
        p[2].Value = s.Messages.ToJsonString();
        p[3].Value = s.Turns;
        p[4].Value = s.Usage.InputTokens;
        p[5].Value = s.Usage.OutputTokens;
        p[6].Value = s.Usage.CachedTokens;
        p[7].Value = Values.Money(s.Usage.CostUsd);
        p[8].Value = Values.Time(s.CreatedAt);
        p[9].Value = Values.Time(s.UpdatedAt);
    }

    /// <summary>Reads the columns of <see cref="Select"/>; the transcript, when selected, follows them.</summary>
    public static SessionRecord Read(SqliteDataReader r, bool withMessages) => new()
    {
        Id = r.GetString(0),
        Agent = r.GetString(1),
        Turns = r.GetInt32(2),
        Usage = new Usage
        {
            InputTokens = r.GetInt64(3),
            OutputTokens = r.GetInt64(4),
            CachedTokens = r.GetInt64(5),
            CostUsd = Values.ReadMoney(r, 6),
        },
        CreatedAt = Values.ReadTime(r, 7),
        UpdatedAt = Values.ReadTime(r, 8),
        Messages = withMessages ? JsonNode.Parse(r.GetString(9))?.AsArray() ?? [] : [],
    };
}
