using Orchestra.Core;

namespace Orchestra.Git;

public sealed partial class GitWorkspace
{
    /// <summary>
    /// Moves a run's session branch in every repository to <paramref name="commits"/> (repository → commit), or back to
    /// the session's base for a repository not named, so that the steps a replay re-creates start from those commits.
    /// A working tree that has the session branch checked out is reset with it, and must have no uncommitted changes.
    /// Everything is checked before anything moves. Returns each moved branch's previous tip; given back to this method,
    /// they undo the move. A run that never had an isolated step has nothing to move.
    /// </summary>
    /// <exception cref="OrchestraException">Uncommitted changes (the files are named), a commit that no longer exists, or git failing.</exception>
    public async Task<IReadOnlyDictionary<string, string>> RestoreSessionAsync(string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commits);
        var session = MetadataFile.Read(SessionFile(runId)) is { } json ? SessionMetadata.FromJson(json) : null;
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        if (session is null && commits.Count == 0)
            return previous;
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        if (commits.Keys.FirstOrDefault(name => slots.All(s => s.Name != name)) is { } unknown)
            throw new OrchestraException($"the checkpoint names repository '{unknown}', which is not in this workspace's repos any more: add it back to .orchestra/config.yaml.", ErrorKind.NotFound);
        var branch = GitNames.SessionBranch(runId);
        var moves = new List<(RepoSlot Slot, string Target, string? Tip, IReadOnlyList<string> CheckedOut)>();
        foreach (var slot in slots)
        {
            var repo = slot.Repository;
            var target = commits.TryGetValue(slot.Name, out var commit) ? commit : session?.Bases.GetValueOrDefault(slot.Name);
            if (target is null)
                continue;
            target = await repo.ResolveAsync(target, null, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"commit {target} recorded for repository '{slot.Name}' is no longer in {repo.Top} (garbage-collected?): replay a later checkpoint, or fork one.", ErrorKind.NotFound);
            var tip = await repo.BranchTipAsync(branch, cancellationToken).ConfigureAwait(false);
            var checkedOut = tip is null || tip == target ? [] : await repo.CheckedOutAtAsync(branch, cancellationToken).ConfigureAwait(false);
            foreach (var tree in checkedOut)
            {
                var main = Path.GetFullPath(tree) == Path.GetFullPath(repo.Top);
                var dirty = await repo.UncommittedFilesAsync(main ? slot.StatePrefix : null, tree, cancellationToken).ConfigureAwait(false);
                if (dirty.Count > 0)
                {
                    var shown = string.Join(", ", dirty.Take(5)) + (dirty.Count > 5 ? $" and {dirty.Count - 5} more" : "");
                    throw new OrchestraException($"the working tree {tree} has {branch} checked out with uncommitted changes ({shown}): commit or stash them first, because the replay resets it to {target[..Math.Min(12, target.Length)]}.", ErrorKind.Conflict);
                }
            }
            moves.Add((slot, target, tip, checkedOut));
        }
        foreach (var (slot, target, tip, checkedOut) in moves)
        {
            var repo = slot.Repository;
            if (tip == target)
            {
                previous[slot.Name] = target;
                continue;
            }
            if (tip is null)
            {
                await repo.CreateBranchAsync(branch, target, cancellationToken).ConfigureAwait(false);
            }
            else if (checkedOut.Count > 0)
            {
                foreach (var tree in checkedOut)
                    await repo.CheckAsync(["reset", "--hard", "--quiet", target], cancellationToken, tree).ConfigureAwait(false);
            }
            else if (!await repo.UpdateBranchAsync(branch, target, tip, $"orchestra: replay of run {runId}", cancellationToken).ConfigureAwait(false))
            {
                throw new OrchestraException($"branch {branch} in {repo.Top} moved while the replay ran: run the replay again.", ErrorKind.Conflict);
            }
            previous[slot.Name] = tip ?? target;
        }
        return previous;
    }

    /// <summary>
    /// Makes a new run (a fork) start its session at <paramref name="commits"/> (repository → commit), and where a
    /// repository is not named, where <paramref name="parentRunId"/>'s session started.
    /// </summary>
    /// <exception cref="OrchestraException">Git failed, or the new run already has a session.</exception>
    public async Task ForkSessionAsync(string parentRunId, string runId, IReadOnlyDictionary<string, string> commits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commits);
        var parent = MetadataFile.Read(SessionFile(parentRunId)) is { } json ? SessionMetadata.FromJson(json) : null;
        if (parent is null && commits.Count == 0)
            return;
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        var bases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            var @base = commits.TryGetValue(slot.Name, out var commit) ? commit
                : parent?.Bases.GetValueOrDefault(slot.Name) ?? await slot.Repository.HeadAsync(cancellationToken).ConfigureAwait(false);
            bases[slot.Name] = await slot.Repository.ResolveAsync(@base, null, cancellationToken).ConfigureAwait(false)
                ?? throw new OrchestraException($"commit {@base} recorded for repository '{slot.Name}' is no longer in {slot.Repository.Top}: fork a later checkpoint.", ErrorKind.NotFound);
        }
        if (!MetadataFile.TryCreate(SessionFile(runId), new SessionMetadata(_options.Time.GetUtcNow(), bases).ToJson()))
            throw new OrchestraException($"run {runId} already has a git session: fork again to get a new run.", ErrorKind.Conflict);
    }
}
