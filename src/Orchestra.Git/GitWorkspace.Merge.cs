using Orchestra.Core;

namespace Orchestra.Git;

public sealed partial class GitWorkspace
{
    /// <summary>
    /// Three-way merges a step's branch into its run's session branch, in every repository, with a merge commit.
    /// The merge is computed in memory first: when any repository conflicts, no branch moves, both branches stay as
    /// they were, the worktree is kept, and the result lists the files. After a merge (or when there was nothing to
    /// merge) the step's worktree is removed; its branch stays until <see cref="CleanupAsync"/>.
    /// Work of a step whose success was recorded without a commit (finished by reconciliation after its worker died)
    /// is committed first, so that removing the worktree loses nothing.
    /// </summary>
    /// <exception cref="OrchestraException">The step has no worktree, the session branch is checked out somewhere, git failed.</exception>
    public async Task<MergeResult> MergeAsync(StepRef step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        return await TakingTurnsAsync(() => MergeLockedAsync(step, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<MergeResult> MergeLockedAsync(StepRef step, CancellationToken cancellationToken)
    {
        var meta = RequireStep(step.RunId, step.StepId);
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        var folder = StepFolder(step.RunId, step.StepId);
        if (!meta.Committed && slots.Any(s => GitRepository.IsWorktree(WorktreePath(folder, s))))
            meta = meta with { Repos = (await CommitAsync(step, cancellationToken).ConfigureAwait(false)).Repos };

        var session = GitNames.SessionBranch(step.RunId);
        var plans = new List<(RepoSlot Slot, string SessionTip, string Commit, string Tree)>();
        var conflicts = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var changed = false;
        foreach (var slot in slots)
        {
            if (!meta.Repos.TryGetValue(slot.Name, out var state))
                continue;
            var repo = slot.Repository;
            var tip = await repo.BranchTipAsync(state.Branch, cancellationToken).ConfigureAwait(false) ?? state.Commit;
            if (tip is null || tip == state.Base)
                continue;
            changed = true;
            var sessionTip = await repo.BranchTipAsync(session, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"the session branch {session} is gone from {repo.Top}: merge {state.Branch} by hand (git merge {state.Branch}).", ErrorKind.NotFound);
            if (await repo.IsAncestorAsync(tip, sessionTip, cancellationToken).ConfigureAwait(false))
                continue;
            var checkedOut = await repo.CheckedOutAtAsync(session, cancellationToken).ConfigureAwait(false);
            if (checkedOut.Count > 0)
                throw new OrchestraException($"{session} is checked out in {checkedOut[0]}: switch that working tree to another branch first, or merge there yourself (git merge {state.Branch}).", ErrorKind.Conflict);
            var merge = await repo.MergeTreeAsync(sessionTip, tip, cancellationToken).ConfigureAwait(false);
            if (merge.IsClean)
                plans.Add((slot, sessionTip, tip, merge.Tree!));
            else
                conflicts[slot.Name] = merge.Conflicts.Select(f => slot.Mount.Length == 0 ? f : $"{slot.Mount}/{f}").ToList();
        }
        if (conflicts.Count > 0)
            return new MergeResult(step, MergeStatus.Conflict, conflicts, new Dictionary<string, string>());

        var commits = new Dictionary<string, string>(StringComparer.Ordinal);
        var message = "orchestra: merge " + CommitMessage(step with { Name = meta.Name, Agent = meta.Agent })["orchestra: ".Length..];
        foreach (var (slot, sessionTip, commit, tree) in plans)
        {
            var merged = await slot.Repository.CommitTreeAsync(tree, [sessionTip, commit], message, cancellationToken).ConfigureAwait(false);
            if (!await slot.Repository.UpdateBranchAsync(session, merged, sessionTip, message, cancellationToken).ConfigureAwait(false))
                throw new OrchestraException($"{session} moved while step {step.StepId} was being merged into it: run the merge again.", ErrorKind.Conflict);
            commits[slot.Name] = merged;
        }
        await RemoveWorktreesAsync(folder, slots, cancellationToken).ConfigureAwait(false);
        MetadataFile.Write(StepFile(step.RunId, step.StepId), (meta with { Merged = true }).ToJson());
        var status = plans.Count > 0 ? MergeStatus.Merged : changed ? MergeStatus.AlreadyMerged : MergeStatus.NothingToMerge;
        return new MergeResult(step, status, conflicts, commits);
    }

    /// <summary>Removes a step's worktrees (nested ones first) and its folder; returns how many worktrees there were.</summary>
    private static async Task<int> RemoveWorktreesAsync(string folder, IReadOnlyList<RepoSlot> slots, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var slot in slots.OrderByDescending(s => s.Mount.Length))
        {
            var path = WorktreePath(folder, slot);
            if (GitRepository.IsWorktree(path))
                removed++;
            await slot.Repository.RemoveWorktreeAsync(path, cancellationToken).ConfigureAwait(false);
        }
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        return removed;
    }
}
