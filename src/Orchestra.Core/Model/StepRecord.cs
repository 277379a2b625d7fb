using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>What to do with a step whose dependency finished without success.</summary>
public enum DependencyFailurePolicy
{
    /// <summary>The dependant fails too (the default): its run fails.</summary>
    Fail,
    /// <summary>The dependant is skipped; on its own a skip does not fail the run.</summary>
    Skip,
}

/// <summary>How a step's last failure was classified.</summary>
public enum FailureKind
{
    /// <summary>No failure.</summary>
    None,
    /// <summary>Worth retrying: network, rate limits, a crashed process, an expired lease.</summary>
    Transient,
    /// <summary>Retrying will not help: bad input, missing credentials, a refused request.</summary>
    Permanent,
    /// <summary>The step ran past its timeout.</summary>
    Timeout,
    /// <summary>The run's budget is spent.</summary>
    Budget,
    /// <summary>A dependency did not succeed.</summary>
    Dependency,
    /// <summary>Cancelled by a user.</summary>
    Cancelled,
}

/// <summary>One unit of agent work as the store keeps it. Immutable: changes are made with <c>with</c>.</summary>
public sealed record StepRecord
{
    /// <summary>Global id (<c>s…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The run the step belongs to.</summary>
    public required string RunId { get; init; }

    /// <summary>Name within its run: a plan's task id, a graph's node, or the agent name for a queued task.</summary>
    public required string Name { get; init; }

    /// <summary>The agent definition that executes the step.</summary>
    public required string Agent { get; init; }

    /// <summary>The prompt given to the agent.</summary>
    public string Prompt { get; init; } = "";

    /// <summary>Structured input, if any.</summary>
    public JsonObject? Input { get; init; }

    /// <summary>The graph node this step activates, for graph runs.</summary>
    public string? Node { get; init; }

    /// <summary>Current status.</summary>
    public StepStatus Status { get; init; } = StepStatus.Pending;

    /// <summary>Higher runs first.</summary>
    public int Priority { get; init; }

    /// <summary>Insertion order assigned by the store; ties in priority run first-in first-out.</summary>
    public long Seq { get; init; }

    /// <summary>Number of dependencies that have not yet succeeded.</summary>
    public int PendingDependencies { get; init; }

    /// <summary>What happens when a dependency fails.</summary>
    public DependencyFailurePolicy OnDependencyFailure { get; init; }

    /// <summary>Attempts made so far; the current attempt number while running. The fencing token.</summary>
    public int Attempt { get; init; }

    /// <summary>How many attempts are allowed in all.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Time allowed for one attempt, or null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>When the current attempt must end.</summary>
    public DateTimeOffset? DeadlineAt { get; init; }

    /// <summary>Not claimed before this time (retry backoff).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The worker holding the lease.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the lease expires unless renewed by a heartbeat.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Caller-chosen key that makes creating this step idempotent.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Digest of what was asked for, to tell a repeated request from a conflicting one.</summary>
    public string? PayloadHash { get; init; }

    /// <summary>Opaque handle of an external execution (for example a process id) used to reconcile after a crash.</summary>
    public string? Handle { get; init; }

    /// <summary>Text output of the last attempt.</summary>
    public string? Output { get; init; }

    /// <summary>Structured output of the last attempt.</summary>
    public JsonNode? Result { get; init; }

    /// <summary>Error message of the last failed attempt.</summary>
    public string? Error { get; init; }

    /// <summary>Classification of the last failure.</summary>
    public FailureKind FailureKind { get; init; }

    /// <summary>Usage over all attempts.</summary>
    public Usage Usage { get; init; }

    /// <summary>
    /// Attempts lost because their worker died (not because the agent failed). They do not count against
    /// <see cref="MaxAttempts"/>, up to <see cref="Engine.OrchestraEngine.MaxLostAttempts"/>.
    /// </summary>
    public int LostAttempts { get; init; }

    /// <summary>When the step was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When its current or last attempt started.</summary>
    public DateTimeOffset? AttemptStartedAt { get; init; }

    /// <summary>When it reached a terminal status.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The ids of the steps it depends on (filled by reads that ask for them).</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];
}
