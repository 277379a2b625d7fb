namespace Orchestra.Git;

public sealed partial class GitRepository
{
    /// <summary>
    /// Adds a worktree at <paramref name="path"/>: on a new branch <paramref name="branch"/> started at
    /// <paramref name="start"/>, or, when <paramref name="start"/> is null, on the existing branch.
    /// </summary>
    public async Task AddWorktreeAsync(string path, string branch, string? start, CancellationToken cancellationToken = default)
    {
        string[] args = start is null
            ? ["worktree", "add", "--quiet", "--end-of-options", path, branch]
            : ["worktree", "add", "--quiet", "--no-track", "-b", branch, "--end-of-options", path, start];
        await CheckAsync(args, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a worktree and its files, changed or not; a folder git no longer knows is simply deleted.</summary>
    public async Task RemoveWorktreeAsync(string path, CancellationToken cancellationToken = default)
    {
        if (IsWorktree(path))
        {
            var result = await RunAsync(["worktree", "remove", "--force", "--end-of-options", path], cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
                return;
        }
        if (!Directory.Exists(path))
            return;
        Directory.Delete(path, recursive: true);
        await PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets worktrees whose folders are gone (<c>git worktree prune</c>).</summary>
    public Task PruneWorktreesAsync(CancellationToken cancellationToken = default) =>
        CheckAsync(["worktree", "prune"], cancellationToken);

    /// <summary>True when <paramref name="path"/> holds a checkout (a <c>.git</c> file or folder).</summary>
    public static bool IsWorktree(string path) =>
        File.Exists(Path.Combine(path, ".git")) || Directory.Exists(Path.Combine(path, ".git"));

    /// <summary>The folders of the repository's working trees that have <paramref name="branch"/> checked out.</summary>
    public async Task<IReadOnlyList<string>> CheckedOutAtAsync(string branch, CancellationToken cancellationToken = default)
    {
        var output = await CheckAsync(["worktree", "list", "--porcelain", "-z"], cancellationToken).ConfigureAwait(false);
        var found = new List<string>();
        string? current = null;
        foreach (var field in output.Split('\0'))
        {
            if (field.StartsWith("worktree ", StringComparison.Ordinal))
                current = field["worktree ".Length..];
            else if (field == "branch refs/heads/" + branch && current is not null)
                found.Add(current);
        }
        return found;
    }

    /// <summary>
    /// Commits every change in the worktree at <paramref name="directory"/> (new, modified and deleted files, except
    /// ignored ones and the paths in <paramref name="exclude"/>) and returns its <c>HEAD</c> afterwards; nothing is
    /// committed when nothing changed. Hooks are not run and commits are not signed: this is a snapshot, not a
    /// user's commit.
    /// </summary>
    public async Task<string> CommitAllAsync(string directory, string message, IReadOnlyList<string> exclude, CancellationToken cancellationToken = default)
    {
        await StageAllAsync(directory, exclude, cancellationToken).ConfigureAwait(false);
        var staged = await RunAsync(["diff", "--cached", "--quiet", "--no-ext-diff"], cancellationToken, directory).ConfigureAwait(false);
        if (staged.ExitCode == 1)
        {
            var identity = await IdentityArgumentsAsync().ConfigureAwait(false);
            await CheckAsync([.. identity, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "--no-edit", "-m", message], cancellationToken, directory).ConfigureAwait(false);
        }
        else if (!staged.Succeeded)
        {
            throw GitCli.Failed(directory, ["diff"], staged);
        }
        return await ResolveAsync("HEAD", directory, cancellationToken).ConfigureAwait(false)
            ?? throw new Core.OrchestraException($"the worktree at {directory} has no HEAD commit: remove it with 'orchestra cleanup' and run the step again.", Core.ErrorKind.Environment);
    }

    /// <summary>
    /// Stages everything in a worktree (<c>git add -A</c>) except <paramref name="exclude"/> (literal paths from its top,
    /// put back to their committed state in the index), into the index <paramref name="environment"/> names or its own.
    /// </summary>
    internal async Task StageAllAsync(string directory, IReadOnlyList<string> exclude, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        await CheckAsync(["add", "-A"], cancellationToken, directory, environment).ConfigureAwait(false);
        // Unstaged afterwards rather than excluded from the add: git refuses to name ignored paths, even to exclude them.
        if (exclude.Count > 0)
            await CheckAsync(["reset", "--quiet", "--", .. exclude.Select(p => ":(literal)" + p)], cancellationToken, directory, environment).ConfigureAwait(false);
    }
}
