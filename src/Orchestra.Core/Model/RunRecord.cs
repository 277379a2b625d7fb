using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>What kind of face created a run.</summary>
public static class RunKinds
{
    /// <summary>One queued task.</summary>
    public const string Task = "task";
    /// <summary>A dependency plan.</summary>
    public const string Plan = "plan";
    /// <summary>A graph whose steps are created as edges fire.</summary>
    public const string Graph = "graph";
    /// <summary>A review: one read-only step per reviewer, whose findings are compared.</summary>
    public const string Review = "review";
}

/// <summary>One execution of a task, plan, graph, conversation or ensemble.</summary>
public sealed record RunRecord
{
    /// <summary>Global id (<c>r…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The face that created it: see <see cref="RunKinds"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>A human name (plan file, graph name, agent).</summary>
    public string Name { get; init; } = "";

    /// <summary>Current status.</summary>
    public RunStatus Status { get; init; } = RunStatus.Created;

    /// <summary>The shared state document, updated through reducers.</summary>
    public JsonObject State { get; init; } = [];

    /// <summary>The engine's own bookkeeping for graphs: activation counts, join arrivals, node outputs.</summary>
    public JsonObject Graph { get; init; } = [];

    /// <summary>Most steps of this run that may run at once, or null for no limit.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>What happens to dependants of a failed step unless the step says otherwise.</summary>
    public DependencyFailurePolicy OnDependencyFailure { get; init; }

    /// <summary>When the run was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its first step started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a terminal status.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why it failed or was cancelled, when known.</summary>
    public string? Error { get; init; }
}
