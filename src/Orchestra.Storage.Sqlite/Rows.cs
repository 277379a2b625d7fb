using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Storage.Sqlite;

/// <summary>Conversions between column values and model values.</summary>
internal static class Values
{
    public static long? Millis(TimeSpan? value) => value is { } v ? (long)v.TotalMilliseconds : null;

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

    public static DateTimeOffset ReadTime(Statement r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.Int64(i));

    public static DateTimeOffset? ReadTimeOrNull(Statement r, int i) => r.IsNull(i) ? null : ReadTime(r, i);

    public static int? ReadIntOrNull(Statement r, int i) => r.IsNull(i) ? null : r.Int32(i);

    public static TimeSpan? ReadMillisOrNull(Statement r, int i) => r.IsNull(i) ? null : TimeSpan.FromMilliseconds(r.Int64(i));

    public static JsonObject? ReadObjectOrNull(Statement r, int i) => r.Json(i) as JsonObject;

    public static JsonObject ReadObject(Statement r, int i) => ReadObjectOrNull(r, i) ?? [];

    // Hot paths: a column's wire name is matched as UTF-8 against each value's, without making a string.
    private static readonly (byte[] Wire, StepStatus Value)[] StepStatuses = Table(Enum.GetValues<StepStatus>(), s => s.ToWire());
    private static readonly (byte[] Wire, RunStatus Value)[] RunStatuses = Table(Enum.GetValues<RunStatus>(), s => s.ToWire());
    private static readonly (byte[] Wire, DependencyFailurePolicy Value)[] Policies = Table(Enum.GetValues<DependencyFailurePolicy>(), Policy);
    private static readonly (byte[] Wire, FailureKind Value)[] Failures = Table(Enum.GetValues<FailureKind>(), Failure);

    public static StepStatus ReadStepStatus(Statement r, int i) => Lookup(r, i, StepStatuses, "step status");

    public static RunStatus ReadRunStatus(Statement r, int i) => Lookup(r, i, RunStatuses, "run status");

    public static DependencyFailurePolicy ReadPolicy(Statement r, int i) => Lookup(r, i, Policies, "dependency failure policy");

    public static FailureKind ReadFailure(Statement r, int i) => Lookup(r, i, Failures, "failure kind");

    private static (byte[] Wire, T Value)[] Table<T>(IEnumerable<T> values, Func<T, string> wire) =>
        [.. values.Select(v => (Encoding.UTF8.GetBytes(wire(v)), v))];

    private static T Lookup<T>(Statement r, int i, (byte[] Wire, T Value)[] table, string what)
    {
        var text = r.Utf8(i);
        foreach (var (wire, value) in table)
        {
            if (text.SequenceEqual(wire))
                return value;
        }
        throw new InvalidOperationException($"The store holds an unknown {what} '{r.Text(i)}'.");
    }

    public static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Money is an exact decimal in text; "0", by far the most common, is spared parsing.</summary>
    public static decimal ReadMoney(Statement r, int i)
    {
        var v = r.Utf8(i);
        return v.SequenceEqual("0"u8) ? 0m : decimal.Parse(r.Text(i), NumberStyles.Number, CultureInfo.InvariantCulture);
    }
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
        $"INSERT INTO steps ({string.Join(", ", Writable)}) VALUES ({string.Join(", ", Writable.Select(c => "$" + c))})";

    public static readonly string Update =
        $"UPDATE steps SET {string.Join(", ", Writable.Skip(1).Select(c => c + " = $" + c))} WHERE id = $id";

    /// <summary>The parameters of <see cref="Insert"/> and <see cref="Update"/>, in binding order.</summary>
    public static readonly string[] Parameters = [.. Writable.Select(c => "$" + c)];

    public static void Bind(Statement p, StepRecord s)
    {
        p.Bind(0, s.Id);
        p.Bind(1, s.RunId);
        p.Bind(2, s.Name);
        p.Bind(3, s.Agent);
        p.Bind(4, s.Prompt);
        p.Bind(5, s.Input);
        p.Bind(6, s.Node);
        p.Bind(7, s.Status.ToWire());
        p.Bind(8, s.Priority);
        p.Bind(9, s.PendingDependencies);
        p.Bind(10, Values.Policy(s.OnDependencyFailure));
        p.Bind(11, s.Attempt);
        p.Bind(12, s.MaxAttempts);
        p.Bind(13, Values.Millis(s.Timeout));
        p.Bind(14, s.DeadlineAt);
        p.Bind(15, s.NotBefore);
        p.Bind(16, s.LeaseOwner);
        p.Bind(17, s.LeaseExpiresAt);
        p.Bind(18, s.IdempotencyKey);
        p.Bind(19, s.PayloadHash);
        p.Bind(20, s.Handle);
        p.Bind(21, s.Output);
        p.Bind(22, s.Result);
        p.Bind(23, s.Error);
        p.Bind(24, Values.Failure(s.FailureKind));
        p.Bind(25, s.Usage.InputTokens);
        p.Bind(26, s.Usage.OutputTokens);
        p.Bind(27, s.Usage.CachedTokens);
        p.Bind(28, Values.Money(s.Usage.CostUsd));
        p.Bind(29, s.LostAttempts);
        p.Bind(30, s.CreatedAt);
        p.Bind(31, s.StartedAt);
        p.Bind(32, s.AttemptStartedAt);
        p.Bind(33, s.FinishedAt);
    }

    /// <summary>Reads a row selected with <see cref="Select"/>; dependency ids are not filled.</summary>
    public static StepRecord Read(Statement r) => new()
    {
        Seq = r.Int64(0),
        Id = r.Text(1),
        RunId = r.Text(2),
        Name = r.Text(3),
        Agent = r.Text(4),
        Prompt = r.Text(5),
        Input = Values.ReadObjectOrNull(r, 6),
        Node = r.TextOrNull(7),
        Status = Values.ReadStepStatus(r, 8),
        Priority = r.Int32(9),
        PendingDependencies = r.Int32(10),
        OnDependencyFailure = Values.ReadPolicy(r, 11),
        Attempt = r.Int32(12),
        MaxAttempts = r.Int32(13),
        Timeout = Values.ReadMillisOrNull(r, 14),
        DeadlineAt = Values.ReadTimeOrNull(r, 15),
        NotBefore = Values.ReadTimeOrNull(r, 16),
        LeaseOwner = r.TextOrNull(17),
        LeaseExpiresAt = Values.ReadTimeOrNull(r, 18),
        IdempotencyKey = r.TextOrNull(19),
        PayloadHash = r.TextOrNull(20),
        Handle = r.TextOrNull(21),
        Output = r.TextOrNull(22),
        Result = r.Json(23),
        Error = r.TextOrNull(24),
        FailureKind = Values.ReadFailure(r, 25),
        Usage = new Usage
        {
            InputTokens = r.Int64(26),
            OutputTokens = r.Int64(27),
            CachedTokens = r.Int64(28),
            CostUsd = Values.ReadMoney(r, 29),
        },
        LostAttempts = r.Int32(30),
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

    /// <summary>The parameters of <see cref="Insert"/> and <see cref="Update"/>, in binding order.</summary>
    public static readonly string[] Parameters = [.. Columns.Select(c => "$" + c)];

    /// <summary>Binds a run; its two documents come as UTF-8 JSON, which the caller may reuse (a checkpoint holds the same).</summary>
    public static void Bind(Statement p, RunRecord run, ReadOnlySpan<byte> state, ReadOnlySpan<byte> graph)
    {
        p.Bind(0, run.Id);
        p.Bind(1, run.Kind);
        p.Bind(2, run.Name);
        p.Bind(3, run.Status.ToWire());
        p.BindUtf8(4, state);
        p.BindUtf8(5, graph);
        p.Bind(6, run.MaxParallel);
        p.Bind(7, Values.Policy(run.OnDependencyFailure));
        p.Bind(8, run.CreatedAt);
        p.Bind(9, run.StartedAt);
        p.Bind(10, run.FinishedAt);
        p.Bind(11, run.Error);
    }

    public static RunRecord Read(Statement r) => new()
    {
        Id = r.Text(0),
        Kind = r.Text(1),
        Name = r.Text(2),
        Status = Values.ReadRunStatus(r, 3),
        State = Values.ReadObject(r, 4),
        Graph = Values.ReadObject(r, 5),
        MaxParallel = Values.ReadIntOrNull(r, 6),
        OnDependencyFailure = Values.ReadPolicy(r, 7),
        CreatedAt = Values.ReadTime(r, 8),
        StartedAt = Values.ReadTimeOrNull(r, 9),
        FinishedAt = Values.ReadTimeOrNull(r, 10),
        Error = r.TextOrNull(11),
    };
}

/// <summary>The events table.</summary>
internal static class EventRows
{
    public const string Select = "seq, run_id, step_id, type, at, data";

    public const string Insert = "INSERT INTO events (run_id, step_id, type, at, data) VALUES ($run_id, $step_id, $type, $at, $data)";

    public static readonly string[] Parameters = ["$run_id", "$step_id", "$type", "$at", "$data"];

    public static void Bind(Statement p, RunEvent e)
    {
        p.Bind(0, e.RunId);
        p.Bind(1, e.StepId);
        p.Bind(2, e.Type);
        p.Bind(3, e.At);
        p.Bind(4, e.Data);
    }

    public static RunEvent Read(Statement r) => new()
    {
        Seq = r.Int64(0),
        RunId = r.Text(1),
        StepId = r.TextOrNull(2),
        Type = r.Text(3),
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

    public static void Bind(Statement p, SessionRecord s)
    {
        p.Bind(0, s.Id);
        p.Bind(1, s.Agent);
        p.Bind(2, s.Messages);
        p.Bind(3, s.Turns);
        p.Bind(4, s.Usage.InputTokens);
        p.Bind(5, s.Usage.OutputTokens);
        p.Bind(6, s.Usage.CachedTokens);
        p.Bind(7, Values.Money(s.Usage.CostUsd));
        p.Bind(8, s.CreatedAt);
        p.Bind(9, s.UpdatedAt);
    }

    /// <summary>Reads the columns of <see cref="Select"/>; the transcript, when selected, follows them.</summary>
    public static SessionRecord Read(Statement r, bool withMessages) => new()
    {
        Id = r.Text(0),
        Agent = r.Text(1),
        Turns = r.Int32(2),
        Usage = new Usage
        {
            InputTokens = r.Int64(3),
            OutputTokens = r.Int64(4),
            CachedTokens = r.Int64(5),
            CostUsd = Values.ReadMoney(r, 6),
        },
        CreatedAt = Values.ReadTime(r, 7),
        UpdatedAt = Values.ReadTime(r, 8),
        Messages = withMessages ? r.Json(9)?.AsArray() ?? [] : [],
    };
}
