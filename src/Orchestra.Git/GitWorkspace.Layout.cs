using Orchestra.Core;

namespace Orchestra.Git;

/// <summary>One repository of a workspace and where its worktree goes inside a step's folder.</summary>
/// <param name="Name">The name in <c>repos:</c>, or <c>.</c> for the repository containing the workspace.</param>
/// <param name="Repository">The repository.</param>
/// <param name="Mount">The worktree's path inside the step's folder (empty: the folder itself), with '/' separators.</param>
/// <param name="WorkPrefix">The workspace folder's path inside the worktree (empty, or ending with '/').</param>
/// <param name="StatePrefix">The state folder's path from the repository's top (ending with '/'), when it is inside it.</param>
internal sealed record RepoSlot(string Name, GitRepository Repository, string Mount, string WorkPrefix, string? StatePrefix);

public sealed partial class GitWorkspace
{
    /// <summary>The repositories, opened once; a failure (not a repository) is not remembered, so a fix is seen.</summary>
    internal Task<IReadOnlyList<RepoSlot>> SlotsAsync(CancellationToken cancellationToken)
    {
        var known = _slots;
        if (known is { IsCompletedSuccessfully: true })
            return known;
        var opening = ResolveSlotsAsync(cancellationToken);
        _slots = opening;
        return opening;
    }

    private async Task<IReadOnlyList<RepoSlot>> ResolveSlotsAsync(CancellationToken cancellationToken)
    {
        var state = Path.GetRelativePath(Root, StateDirectory).Replace('\\', '/') + "/";
        if (state.StartsWith("../", StringComparison.Ordinal))
            state = null;
        if (_options.Repos.Count == 0)
        {
            var (repo, prefix) = await GitRepository.LocateAsync(Git, Root, cancellationToken).ConfigureAwait(false);
            return [new RepoSlot(".", repo, "", prefix, state is null ? null : prefix + state)];
        }
        var slots = new List<RepoSlot>();
        foreach (var (name, path) in _options.Repos.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (repo, prefix) = await GitRepository.LocateAsync(Git, Path.Combine(Root, path), cancellationToken).ConfigureAwait(false);
            if (prefix.Length > 0)
                throw new OrchestraException($"repos.{name} in .orchestra/config.yaml is '{path}', which is inside the repository at {repo.Top}: list the repository's top folder.");
            var mount = Path.GetRelativePath(Root, Path.GetFullPath(Path.Combine(Root, path))).Replace('\\', '/');
            if (mount == ".")
                mount = "";
            slots.Add(new RepoSlot(name, repo, mount, "", mount.Length == 0 ? state : null));
        }
        return slots;
    }

    /// <summary>Where a repository's worktree goes inside a step's folder.</summary>
    private static string WorktreePath(string folder, RepoSlot slot) =>
        slot.Mount.Length == 0 ? folder : Path.Combine(folder, slot.Mount);

    /// <summary>Where the agent works: the workspace folder's counterpart inside the step's folder.</summary>
    private static string WorkDirectory(string folder, IReadOnlyList<RepoSlot> slots) =>
        slots is [{ Mount.Length: 0 } only] && only.WorkPrefix.Length > 0
            ? Path.Combine(folder, only.WorkPrefix.TrimEnd('/'))
            : folder;

    /// <summary>
    /// Paths the commit of a repository's worktree leaves out, from its top: the copied files (git does not carry them
    /// for a reason) and the worktrees of other repositories nested inside it.
    /// </summary>
    private List<string> Excludes(string folder, RepoSlot slot, IReadOnlyList<RepoSlot> slots)
    {
        var top = WorktreePath(folder, slot);
        var work = WorkDirectory(folder, slots);
        var targets = _options.Copy.Select(c => Path.Combine(work, c))
            .Concat(slots.Where(s => s != slot).Select(s => WorktreePath(folder, s)));
        var excludes = new List<string>();
        foreach (var target in targets)
        {
            var relative = Path.GetRelativePath(top, Path.GetFullPath(target)).Replace('\\', '/');
            if (relative != "." && !relative.StartsWith("../", StringComparison.Ordinal) && relative != "..")
                excludes.Add(relative.TrimEnd('/'));
        }
        return excludes;
    }

    /// <summary>Copies the configured extra files (<c>worktree.copy</c>) from the workspace into a step's work folder.</summary>
    private void CopyExtraFiles(string work)
    {
        foreach (var relative in _options.Copy)
        {
            var source = Path.Combine(Root, relative);
            var target = Path.Combine(work, relative);
            if (File.Exists(source))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target, overwrite: true);
            }
            else if (Directory.Exists(source))
            {
                foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
                {
                    var to = Path.Combine(target, Path.GetRelativePath(source, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                    File.Copy(file, to, overwrite: true);
                }
            }
        }
    }

    /// <summary>Checks that a session can start from the repository's <c>HEAD</c>; returns that commit.</summary>
    private async Task<string> CheckBaseAsync(RepoSlot slot, CancellationToken cancellationToken)
    {
        var repo = slot.Repository;
        var head = await repo.HeadAsync(cancellationToken).ConfigureAwait(false);
        if (await repo.BranchTipAsync("orchestra", cancellationToken).ConfigureAwait(false) is not null)
            throw new OrchestraException($"a branch named 'orchestra' already exists in {repo.Top} and blocks the branches Orchestra makes under orchestra/: rename it (git branch -m orchestra <new-name>).", ErrorKind.Conflict);
        var dirty = await repo.UncommittedFilesAsync(slot.StatePrefix, null, cancellationToken).ConfigureAwait(false);
        if (dirty.Count > 0)
        {
            var shown = string.Join(", ", dirty.Take(5)) + (dirty.Count > 5 ? $" and {dirty.Count - 5} more" : "");
            throw new OrchestraException($"the working tree of {repo.Top} has uncommitted changes ({shown}): commit or stash them first, because a step's worktree starts from the last commit.");
        }
        return head;
    }
}
