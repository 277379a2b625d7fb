using Orchestra.Core;

namespace Orchestra.Git;

public sealed partial class GitWorkspace
{
    /// <summary>
    /// Gives a step its worktree: starts the run's session branch from <c>HEAD</c> the first time (which needs a
    /// clean working tree), then adds a worktree on the step's own branch, started from the session branch, and copies
    /// the configured extra files in. Called again for the same step (a retry, a resumed attempt), it returns the
    /// worktree as the earlier attempt left it.
    /// </summary>
    /// <exception cref="OrchestraException">Not a repository, a dirty working tree, a branch in the way, git failing.</exception>
    public async Task<StepWorktree> PrepareAsync(StepRef step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        return await TakingTurnsAsync(() => PrepareLockedAsync(step, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> RepositoryGates = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="work"/> alone among this process's branch and worktree changes in the workspace: git takes
    /// lock files in the repository for them, so steps preparing or merging together take turns instead of failing on
    /// each other's locks.
    /// </summary>
    private async Task<T> TakingTurnsAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = RepositoryGates.GetOrAdd(_options.Root, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<StepWorktree> PrepareLockedAsync(StepRef step, CancellationToken cancellationToken)
    {
        var folder = StepFolder(step.RunId, step.StepId);
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        await EnsureSessionAsync(step.RunId, slots, cancellationToken).ConfigureAwait(false);
        var meta = ReadStep(step.RunId, step.StepId);
        var fresh = meta is null;
        if (meta is null)
        {
            var repos = new Dictionary<string, StepRepoState>(StringComparer.Ordinal);
            var session = GitNames.SessionBranch(step.RunId);
            foreach (var slot in slots)
            {
                var repo = slot.Repository;
                var branch = GitNames.StepBranch(step.RunId, step.StepId);
                if (await repo.BranchTipAsync(branch, cancellationToken).ConfigureAwait(false) is not null)
                    throw new OrchestraException($"branch {branch} already exists in {repo.Top} but Orchestra has no record of it: delete it (git branch -D {branch}) and retry the step.", ErrorKind.Conflict);
                var @base = await repo.BranchTipAsync(session, cancellationToken).ConfigureAwait(false)
                    ?? throw new OrchestraException($"the session branch {session} disappeared from {repo.Top}: run the step in a new run.", ErrorKind.NotFound);
                repos[slot.Name] = new StepRepoState(branch, @base, null);
            }
            meta = new StepMetadata(step.RunId, step.StepId, step.Name, step.Agent, _options.Time.GetUtcNow(), repos, Merged: false);
            // Recorded before the worktrees exist, so that a crash in between leaves branches Orchestra knows about.
            MetadataFile.Write(StepFile(step.RunId, step.StepId), meta.ToJson());
        }
        var created = false;
        foreach (var slot in slots)
        {
            var path = WorktreePath(folder, slot);
            if (GitRepository.IsWorktree(path))
                continue;
            var state = meta.Repos.TryGetValue(slot.Name, out var s) ? s
                : throw new OrchestraException($"step {step.StepId} was started before repository '{slot.Name}' was added to repos: run it in a new run.");
            var exists = !fresh && await slot.Repository.BranchTipAsync(state.Branch, cancellationToken).ConfigureAwait(false) is not null;
            await slot.Repository.AddWorktreeAsync(path, state.Branch, exists ? null : state.Base, cancellationToken).ConfigureAwait(false);
            created = true;
        }
        var work = WorkDirectory(folder, slots);
        if (created)
            CopyExtraFiles(work);
        return new StepWorktree(work, folder, meta.Repos);
    }

    /// <summary>
    /// Commits everything the step changed in its worktrees, except ignored and copied files, with the message
    /// <see cref="CommitMessage"/>; returns the step's commit per repository (null where nothing changed). A worktree
    /// already removed (merged) is left as recorded.
    /// </summary>
    /// <exception cref="OrchestraException">The step has no worktree, or git failed.</exception>
    public async Task<StepSnapshot> CommitAsync(StepRef step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        var meta = RequireStep(step.RunId, step.StepId);
        var slots = await SlotsAsync(cancellationToken).ConfigureAwait(false);
        var folder = StepFolder(step.RunId, step.StepId);
        var message = CommitMessage(step with { Name = meta.Name.Length > 0 ? meta.Name : step.Name, Agent = meta.Agent.Length > 0 ? meta.Agent : step.Agent });
        var repos = new Dictionary<string, StepRepoState>(meta.Repos, StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            if (!repos.TryGetValue(slot.Name, out var state))
                continue;
            var path = WorktreePath(folder, slot);
            if (!GitRepository.IsWorktree(path))
                continue;
            var head = await slot.Repository.CommitAllAsync(path, message, Excludes(folder, slot, slots), cancellationToken).ConfigureAwait(false);
            repos[slot.Name] = state with { Commit = head == state.Base ? null : head };
        }
        MetadataFile.Write(StepFile(step.RunId, step.StepId), (meta with { Repos = repos, Committed = true }).ToJson());
        return new StepSnapshot(repos);
    }

    /// <summary>
    /// Makes sure the run's session branch exists in every repository: the first step of the run records the bases
    /// (each repository's <c>HEAD</c>, checked clean) and creates the branches; later steps find them.
    /// </summary>
    private async Task<SessionMetadata> EnsureSessionAsync(string runId, IReadOnlyList<RepoSlot> slots, CancellationToken cancellationToken)
    {
        var file = SessionFile(runId);
        var session = MetadataFile.Read(file) is { } json ? SessionMetadata.FromJson(json) : null;
        if (session is null)
        {
            var bases = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var slot in slots)
                bases[slot.Name] = await CheckBaseAsync(slot, cancellationToken).ConfigureAwait(false);
            session = new SessionMetadata(_options.Time.GetUtcNow(), bases);
            // Parallel steps of one run race here: the first record wins and every step uses its bases.
            if (!MetadataFile.TryCreate(file, session.ToJson()))
                session = SessionMetadata.FromJson(MetadataFile.Read(file)!);
        }
        var branch = GitNames.SessionBranch(runId);
        foreach (var slot in slots)
        {
            var repo = slot.Repository;
            if (!session.Bases.TryGetValue(slot.Name, out var @base))
                throw new OrchestraException($"run {runId} began before repository '{slot.Name}' was added to repos: run the step in a new run.");
            var tip = await repo.BranchTipAsync(branch, cancellationToken).ConfigureAwait(false);
            if (tip is null)
            {
                if (await repo.CreateBranchAsync(branch, @base, cancellationToken).ConfigureAwait(false))
                    continue;
                tip = await repo.BranchTipAsync(branch, cancellationToken).ConfigureAwait(false);
            }
            // The branch is the session's when it still starts from the recorded base.
            if (tip is null || (tip != @base && !await repo.IsAncestorAsync(@base, tip, cancellationToken).ConfigureAwait(false)))
                throw new OrchestraException($"branch {branch} already exists in {repo.Top} and does not start from the run's base commit: rename or delete it (git branch -m {branch} <new-name>).", ErrorKind.Conflict);
        }
        return session;
    }
}
