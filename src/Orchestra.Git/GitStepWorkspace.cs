using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;

namespace Orchestra.Git;

/// <summary>
/// The engine's hook for isolated steps, over a <see cref="GitWorkspace"/>: each step gets its worktree before its
/// agent runs, and its work is committed when it succeeds; the commit per repository becomes the step's snapshot.
/// Replay moves the run's session branches back to a checkpoint's commits; a fork's session starts from them.
/// </summary>
public sealed class GitStepWorkspace(GitWorkspace git) : IStepWorkspace, IWorkspaceSnapshots
{
    /// <summary>The workspace's git side.</summary>
    public GitWorkspace Git { get; } = git ?? throw new ArgumentNullException(nameof(git));

    /// <inheritdoc />
    public async ValueTask<string> PrepareAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        return (await Git.PrepareAsync(Ref(step), cancellationToken).ConfigureAwait(false)).WorkDirectory;
    }

    /// <inheritdoc />
    public async ValueTask<JsonObject?> CompleteAsync(StepRecord step, AgentResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        return (await Git.CommitAsync(Ref(step), cancellationToken).ConfigureAwait(false)).ToJson();
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, string>> RestoreAsync(string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default) =>
        await Git.RestoreSessionAsync(runId, commits, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask ForkAsync(string parentRunId, string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default) =>
        await Git.ForkSessionAsync(parentRunId, runId, commits, cancellationToken).ConfigureAwait(false);

    private static StepRef Ref(StepRecord step) => new(step.RunId, step.Id, step.Name, step.Agent);
}
