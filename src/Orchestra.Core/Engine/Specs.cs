using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

/// <summary>A step to create.</summary>
public sealed record StepSpec
{
    /// <summary>A step id assigned when the submission was accepted, with <see cref="RunSpec.Id"/>; null: a new one.</summary>
    public string? Id { get; init; }

    /// <summary>Name within the run (a plan's task id). Defaults to the agent name.</summary>
    public string? Name { get; init; }

    /// <summary>The agent that executes it.</summary>
    public required string Agent { get; init; }

    /// <summary>The prompt.</summary>
    public string Prompt { get; init; } = "";

    /// <summary>Structured input.</summary>
    public JsonObject? Input { get; init; }

    /// <summary>Dependencies: names of steps in the same spec, or ids of existing steps.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>Higher runs first. <value>The default value is 0.</value></summary>
    public int Priority { get; init; }

    /// <summary>Time allowed per attempt, or null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Attempts allowed in all. <value>The default value is 1.</value></summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Makes creating the step idempotent.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>What happens when a dependency fails; null takes the run's policy.</summary>
    public DependencyFailurePolicy? OnDependencyFailure { get; init; }
}

/// <summary>A run to create with its first steps.</summary>
public sealed record RunSpec
{
    /// <summary>
    /// A run id assigned when the submission was accepted outside the store (the workspace inbox), or null for a
    /// new one. Submitting a run whose id exists returns the existing run: accepted work is brought in once. The
    /// agents of such a submission were checked when it was accepted and are not checked again.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>The face creating it: see <see cref="RunKinds"/>.</summary>
    public string Kind { get; init; } = RunKinds.Task;

    /// <summary>A human name; for graph runs, the graph's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The steps known up front.</summary>
    public IReadOnlyList<StepSpec> Steps { get; init; } = [];

    /// <summary>The initial state document.</summary>
    public JsonObject? State { get; init; }

    /// <summary>Most steps of this run that may run at once.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>
    /// Where a graph run's definition comes from (for a pipeline: its absolute path and the SHA-256 of the file), kept
    /// in <c>RunRecord.Graph["source"]</c> for <see cref="EngineOptions.GraphResolver"/> in later processes; null for
    /// graphs registered in code.
    /// </summary>
    public JsonObject? GraphSource { get; init; }

    /// <summary>Default policy for dependants of a failed step. <value>The default value is <see cref="DependencyFailurePolicy.Fail"/>.</value></summary>
    public DependencyFailurePolicy OnDependencyFailure { get; init; }
}

/// <summary>What <see cref="OrchestraEngine.SubmitAsync"/> created.</summary>
/// <param name="Run">The run.</param>
/// <param name="Steps">Its steps, in the order of the spec.</param>
/// <param name="Existing">True when an idempotency key matched work created earlier and nothing new was created.</param>
public sealed record Submission(RunRecord Run, IReadOnlyList<StepRecord> Steps, bool Existing = false);
