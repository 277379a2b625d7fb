using System.Text;

namespace Orchestra.Git;

public sealed partial class GitWorkspace
{
    /// <summary>
    /// What a step changed against its base (the session branch's tip when its worktree was made), as a unified diff
    /// or, with <paramref name="stat"/>, a summary per file. While the worktree exists this includes changes not yet
    /// committed (read through a scratch index: the worktree's own index is not touched); after a merge it is the
    /// step's commits. Paths are from the workspace folder; empty when nothing changed.
    /// </summary>
    /// <exception cref="Orchestra.Core.OrchestraException">The step has no worktree record, or git failed.</exception>
    public async Task<string> DiffAsync(string runId, string stepId, bool stat = false, CancellationToken cancellationToken = default)
    {
        var meta = RequireStep(runId, stepId);
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        var folder = StepFolder(runId, stepId);
        var text = new StringBuilder();
        foreach (var slot in slots)
        {
            if (!meta.Repos.TryGetValue(slot.Name, out var state))
                continue;
            var args = new List<string> { "diff", "--no-color", "--no-ext-diff" };
            if (stat)
                args.Add("--stat");
            if (slot.Mount.Length > 0)
                args.AddRange([$"--src-prefix=a/{slot.Mount}/", $"--dst-prefix=b/{slot.Mount}/"]);
            var path = WorktreePath(folder, slot);
            var diff = GitRepository.IsWorktree(path)
                ? await WorkingDiffAsync(slot, path, state.Base, args, Excludes(folder, slot, slots), cancellationToken).ConfigureAwait(false)
                : await CommittedDiffAsync(slot, state, args, cancellationToken).ConfigureAwait(false);
            if (diff.Length == 0)
                continue;
            if (stat && slots.Count > 1)
                text.Append(slot.Name).Append(" (").Append(slot.Mount.Length == 0 ? "." : slot.Mount).Append("):\n");
            text.Append(diff);
        }
        return text.ToString();
    }

    private static async Task<string> CommittedDiffAsync(RepoSlot slot, StepRepoState state, List<string> args, CancellationToken cancellationToken)
    {
        var tip = await slot.Repository.BranchTipAsync(state.Branch, cancellationToken).ConfigureAwait(false) ?? state.Commit;
        if (tip is null || tip == state.Base)
            return "";
        return await slot.Repository.CheckAsync([.. args, state.Base, tip, "--"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The worktree's state, committed or not, against the base: staged into a copy of its index.</summary>
    private static async Task<string> WorkingDiffAsync(RepoSlot slot, string worktree, string @base, List<string> args, IReadOnlyList<string> exclude, CancellationToken cancellationToken)
    {
        var repo = slot.Repository;
        var indexPath = Path.GetFullPath((await repo.CheckAsync(["rev-parse", "--git-path", "index"], cancellationToken, worktree).ConfigureAwait(false)).Trim(), worktree);
        var scratch = Path.Combine(Path.GetTempPath(), $"orchestra-index-{Guid.NewGuid():N}");
        try
        {
            if (File.Exists(indexPath))
                File.Copy(indexPath, scratch);
            var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["GIT_INDEX_FILE"] = scratch };
            await repo.StageAllAsync(worktree, exclude, cancellationToken, env).ConfigureAwait(false);
            return await repo.CheckAsync([.. args, "--cached", @base, "--"], cancellationToken, worktree, env).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}
