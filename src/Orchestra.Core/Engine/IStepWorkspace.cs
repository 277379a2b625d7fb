using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

/// <summary>
/// Gives an isolated step a directory of its own (a git worktree, for example) and records what the step left there.
/// The worker calls it only for steps whose isolation is not <see cref="StepIsolation.None"/>.
/// </summary>
public interface IStepWorkspace
{
    /// <summary>
    /// Makes the step's directory ready and returns it; called before every attempt, so it must return the same
    /// directory again for a retried or resumed step.
    /// </summary>
    /// <exception cref="OrchestraException">The directory cannot be made (the step fails with the message).</exception>
    ValueTask<string> PrepareAsync(StepRecord step, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the work of an attempt that succeeded (commits it, for a worktree) and returns what to store with the
    /// step's result as its snapshot, or null for nothing.
    /// </summary>
    /// <exception cref="OrchestraException">The work cannot be recorded (the step fails with the message).</exception>
    ValueTask<JsonObject?> CompleteAsync(StepRecord step, AgentResult result, CancellationToken cancellationToken = default);
}
