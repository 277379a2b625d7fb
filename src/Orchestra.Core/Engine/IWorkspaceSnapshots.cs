namespace Orchestra.Core.Engine;

/// <summary>
/// Puts a run's repositories back to the commits a checkpoint recorded, and starts a forked run from them. A step
/// workspace that records commits (git) implements it next to <see cref="IStepWorkspace"/>; replay and fork use it
/// only for runs whose checkpoints recorded commits.
/// </summary>
public interface IWorkspaceSnapshots
{
    /// <summary>
    /// Moves the run's branches to <paramref name="commits"/> (repository → commit); repositories not named go back to
    /// where the run started. Checks everything before moving anything. Returns the commits the branches were at, which
    /// given back to this method undo the move.
    /// </summary>
    /// <exception cref="OrchestraException">A working tree that would move has uncommitted changes (named), or git failed.</exception>
    ValueTask<IReadOnlyDictionary<string, string>> RestoreAsync(string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="runId"/>, a new run, start its repositories at <paramref name="commits"/>, and where none is
    /// named where <paramref name="parentRunId"/> started.
    /// </summary>
    /// <exception cref="OrchestraException">Git failed.</exception>
    ValueTask ForkAsync(string parentRunId, string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default);
}
