using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;

namespace Orchestra.Git;

/// <summary>
/// The engine's hook for isolated steps, over a <see cref="GitWorkspace"/>: each step gets its worktree before its
/// agent runs, and its work is committed when it succeeds; the commit per repository becomes the step's snapshot.
/// A pipeline node's commit is merged into the run's session branch at once, so that the nodes after it build on it;
/// its snapshot is then the session branch's new tip. Replay moves the run's session branches back to a checkpoint's
/// commits; a fork's session starts from them.
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
        var json = (await Git.CommitAsync(Ref(step), cancellationToken).ConfigureAwait(false)).ToJson();
        if (step.Node is null)
            return json;
        var merge = await Git.MergeAsync(Ref(step), cancellationToken).ConfigureAwait(false);
        if (merge.Status == MergeStatus.Conflict)
        {
            var files = string.Join(", ", merge.Conflicts.SelectMany(c => c.Value).Take(5));
            throw new OrchestraException($"its work conflicts with what other nodes merged into {GitNames.SessionBranch(step.RunId)} ({files}): its commit stays on {GitNames.StepBranch(step.RunId, step.Id)}; give the nodes separate files, or run them one after the other.", ErrorKind.Conflict);
        }
        var session = new JsonObject();
        foreach (var (repo, commit) in merge.Commits)
            session[repo] = commit;
        json["snapshot"] = session;
        return json;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, string>> RestoreAsync(string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default) =>
        await Git.RestoreSessionAsync(runId, commits, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask ForkAsync(string parentRunId, string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default) =>
        await Git.ForkSessionAsync(parentRunId, runId, commits, cancellationToken).ConfigureAwait(false);

    private static StepRef Ref(StepRecord step) => new(step.RunId, step.Id, step.Name, step.Agent);
}
