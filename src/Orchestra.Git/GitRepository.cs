using Orchestra.Core;

namespace Orchestra.Git;

/// <summary>
/// One git repository, addressed by its top-level folder: the few operations Orchestra needs, each one git command
/// run through <see cref="GitCli"/>. Operations on a worktree of the repository take the worktree's folder.
/// </summary>
public sealed partial class GitRepository
{
    /// <summary>The committer Orchestra uses when the repository has no <c>user.name</c> / <c>user.email</c> of its own.</summary>
    public const string FallbackName = "Orchestra";

    /// <summary>The e-mail address that goes with <see cref="FallbackName"/>.</summary>
    public const string FallbackEmail = "orchestra@localhost";

    // Read once per repository; two callers racing at first use both read it, which is harmless.
    private Task<string[]>? _identity;

    private GitRepository(GitCli git, string top)
    {
        Git = git;
        Top = top;
    }

    /// <summary>The runner.</summary>
    public GitCli Git { get; }

    /// <summary>The repository's top-level folder (its main working tree).</summary>
    public string Top { get; }

    /// <summary>Opens the repository that contains <paramref name="directory"/>.</summary>
    /// <exception cref="OrchestraException">Not in a git repository, or git is not installed.</exception>
    public static async Task<GitRepository> OpenAsync(GitCli git, string directory, CancellationToken cancellationToken = default) =>
        (await LocateAsync(git, directory, cancellationToken).ConfigureAwait(false)).Repository;

    /// <summary>
    /// Opens the repository that contains <paramref name="directory"/> and says where the folder is inside it: its path
    /// from the top-level folder, with a trailing slash, or empty for the top itself.
    /// </summary>
    /// <exception cref="OrchestraException">Not in a git repository, or git is not installed.</exception>
    public static async Task<(GitRepository Repository, string Prefix)> LocateAsync(GitCli git, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(git);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
            throw new OrchestraException($"{full} does not exist: create it, or fix the path in .orchestra/config.yaml.", ErrorKind.NotFound);
        var result = await git.RunAsync(full, ["rev-parse", "--show-toplevel", "--show-prefix"], null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (result.Error.Contains("not a git repository", StringComparison.OrdinalIgnoreCase))
                throw new OrchestraException($"{full} is not in a git repository: run 'git init' (and commit) there, or use a workspace inside a repository.");
            throw GitCli.Failed(full, ["rev-parse"], result);
        }
        var lines = result.Output.Split('\n');
        if (lines.Length < 2 || lines[0].Length == 0)
            throw new OrchestraException($"{full} is inside a .git folder or a bare repository: use a workspace in a working tree.");
        return (new GitRepository(git, Path.GetFullPath(lines[0])), lines[1]);
    }

    /// <summary>Runs git in the top-level folder and returns its output; a failure is an error.</summary>
    internal Task<string> CheckAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? directory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        Git.CheckAsync(directory ?? Top, arguments, environment, cancellationToken);

    /// <summary>Runs git in the top-level folder, whatever the exit code.</summary>
    internal Task<GitResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? directory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        Git.RunAsync(directory ?? Top, arguments, environment, cancellationToken);

    /// <summary>The commit a revision names, or null when it names none.</summary>
    public async Task<string?> ResolveAsync(string revision, string? directory = null, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"], cancellationToken, directory).ConfigureAwait(false);
        return result.Succeeded && result.Line.Length > 0 ? result.Line : null;
    }

    /// <summary>The commit of the main working tree's <c>HEAD</c>.</summary>
    /// <exception cref="OrchestraException">The repository has no commit yet.</exception>
    public async Task<string> HeadAsync(CancellationToken cancellationToken = default) =>
        await ResolveAsync("HEAD", null, cancellationToken).ConfigureAwait(false)
        ?? throw new OrchestraException($"the repository at {Top} has no commits yet: commit something first (for example 'git commit --allow-empty -m init').");

    /// <summary>The tip of a local branch, or null when there is no such branch.</summary>
    public Task<string?> BranchTipAsync(string branch, CancellationToken cancellationToken = default) =>
        ResolveAsync("refs/heads/" + branch, null, cancellationToken);

    /// <summary>Creates a branch at a commit; false when a branch of that name exists already.</summary>
    /// <exception cref="OrchestraException">git refused for another reason (an invalid name, a branch that blocks the path).</exception>
    public async Task<bool> CreateBranchAsync(string branch, string commit, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["branch", "--no-track", "--end-of-options", branch, commit], cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
            return true;
        if (result.Error.Contains("already exists", StringComparison.Ordinal))
            return false;
        throw GitCli.Failed(Top, ["branch"], result);
    }

    /// <summary>Deletes a local branch, merged or not; returns null, or git's reason for refusing (a branch checked out somewhere).</summary>
    public async Task<string?> DeleteBranchAsync(string branch, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["branch", "-D", "--end-of-options", branch], cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? null : result.FirstErrorLine;
    }

    /// <summary>Moves a branch from <paramref name="expected"/> to <paramref name="commit"/>; false when it no longer points at <paramref name="expected"/>.</summary>
    public async Task<bool> UpdateBranchAsync(string branch, string commit, string expected, string reason, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["update-ref", "-m", reason, "refs/heads/" + branch, commit, expected], cancellationToken).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <summary>Local branches under <paramref name="prefix"/> (for example <c>orchestra/</c>), by name, with their tips.</summary>
    public async Task<IReadOnlyDictionary<string, string>> BranchesAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var output = await CheckAsync(["for-each-ref", "--format=%(objectname) %(refname:strip=2)", "refs/heads/" + prefix], cancellationToken).ConfigureAwait(false);
        var branches = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
                branches[line[(space + 1)..]] = line[..space];
        }
        return branches;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors.</summary>
    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken).ConfigureAwait(false);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw GitCli.Failed(Top, ["merge-base"], result),
        };
    }

    /// <summary>
    /// Files with uncommitted changes in the main working tree (modified, staged, or untracked and not ignored), as
    /// paths from the top-level folder; paths under <paramref name="ignorePrefix"/> are left out.
    /// </summary>
    public async Task<IReadOnlyList<string>> UncommittedFilesAsync(string? ignorePrefix = null, string? directory = null, CancellationToken cancellationToken = default)
    {
        string[] args = ["status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", ":(top)"];
        if (ignorePrefix is { Length: > 0 })
            args = [.. args, ":(top,exclude,literal)" + ignorePrefix.TrimEnd('/')];
        var output = await CheckAsync(args, cancellationToken, directory).ConfigureAwait(false);
        var files = new List<string>();
        var entries = output.Split('\0');
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Length < 4)
                continue;
            var path = entry[3..];
            // A rename or copy is followed by its source path.
            if (entry[0] is 'R' or 'C')
                i++;
            files.Add(path);
        }
        return files;
    }

    /// <summary>
    /// The <c>-c</c> arguments that give commits an author and committer: none when the repository (or the user's
    /// configuration) names both, else <see cref="FallbackName"/> and <see cref="FallbackEmail"/> for what is missing.
    /// </summary>
    public Task<string[]> IdentityArgumentsAsync() => _identity ??= LoadIdentityAsync();

    private async Task<string[]> LoadIdentityAsync()
    {
        var result = await RunAsync(["config", "--get-regexp", @"^user\.(name|email)$"], CancellationToken.None).ConfigureAwait(false);
        var keys = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .Where(p => p.Length == 2 && p[1].Trim().Length > 0)
            .Select(p => p[0])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var args = new List<string>();
        if (!keys.Contains("user.name"))
            args.AddRange(["-c", "user.name=" + FallbackName]);
        if (!keys.Contains("user.email"))
            args.AddRange(["-c", "user.email=" + FallbackEmail]);
        return [.. args];
    }
}
