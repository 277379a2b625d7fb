namespace Orchestra.Git;

/// <summary>What a merge computed without touching any branch: a tree, or the files in conflict.</summary>
/// <param name="Tree">The merged tree, when there was no conflict.</param>
/// <param name="Conflicts">Paths in conflict, from the repository's top; empty when the merge is clean.</param>
public sealed record TreeMerge(string? Tree, IReadOnlyList<string> Conflicts)
{
    /// <summary>True when the merge has no conflict.</summary>
    public bool IsClean => Conflicts.Count == 0 && Tree is not null;
}

public sealed partial class GitRepository
{
    /// <summary>
    /// Three-way merges two commits in memory (<c>git merge-tree --write-tree</c>): no working tree, index or branch
    /// changes, so a conflict leaves everything as it was.
    /// </summary>
    public async Task<TreeMerge> MergeTreeAsync(string ours, string theirs, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode is not (0 or 1))
            throw GitCli.Failed(Top, ["merge-tree"], result);
        var fields = result.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0)
            throw GitCli.Failed(Top, ["merge-tree"], result);
        if (result.ExitCode == 0)
            return new TreeMerge(fields[0], []);
        return new TreeMerge(null, fields.Skip(1).Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Creates a commit of <paramref name="tree"/> with the given parents, returning its id.</summary>
    public async Task<string> CommitTreeAsync(string tree, IReadOnlyList<string> parents, string message, CancellationToken cancellationToken = default)
    {
        var identity = await IdentityArgumentsAsync().ConfigureAwait(false);
        var args = new List<string>(identity) { "-c", "commit.gpgsign=false", "commit-tree", tree };
        foreach (var p in parents)
            args.AddRange(["-p", p]);
        args.AddRange(["-m", message]);
        return (await CheckAsync(args, cancellationToken).ConfigureAwait(false)).Trim();
    }
}
