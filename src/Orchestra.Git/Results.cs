using System.Text.Json.Nodes;

namespace Orchestra.Git;

/// <summary>The step a git operation is about: its ids, and the name and agent that commit messages mention.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StepId">The step.</param>
/// <param name="Name">The step's name.</param>
/// <param name="Agent">The step's agent.</param>
public sealed record StepRef(string RunId, string StepId, string Name, string Agent);

/// <summary>A step's worktree, ready for its agent.</summary>
/// <param name="WorkDirectory">Where the agent works: the workspace folder's counterpart inside the worktree.</param>
/// <param name="Folder">The step's folder, <c>.orchestra/worktrees/&lt;run&gt;/&lt;step&gt;</c>.</param>
/// <param name="Repos">The step's branch per repository.</param>
public sealed record StepWorktree(string WorkDirectory, string Folder, IReadOnlyDictionary<string, StepRepoState> Repos);

/// <summary>What committing a step's work recorded, per repository.</summary>
/// <param name="Repos">The step's branch, base and commit per repository (<c>.</c> for a single-repository workspace).</param>
public sealed record StepSnapshot(IReadOnlyDictionary<string, StepRepoState> Repos)
{
    /// <summary>True when some repository got a commit.</summary>
    public bool Changed => Repos.Values.Any(r => r.Commit is not null);

    /// <summary>
    /// As stored with the step's result: <c>snapshot</c> maps each repository that changed to its commit, <c>repos</c>
    /// gives every repository's branch, base and commit.
    /// </summary>
    public JsonObject ToJson()
    {
        var snapshot = new JsonObject();
        var repos = new JsonObject();
        foreach (var (name, r) in Repos)
        {
            if (r.Commit is not null)
                snapshot[name] = r.Commit;
            repos[name] = new JsonObject { ["branch"] = r.Branch, ["base"] = r.Base, ["commit"] = r.Commit };
        }
        return new JsonObject { ["kind"] = "git", ["snapshot"] = snapshot, ["repos"] = repos };
    }
}

/// <summary>How merging a step ended.</summary>
public enum MergeStatus
{
    /// <summary>The step's commits are now in the session branch.</summary>
    Merged,
    /// <summary>They were in it already.</summary>
    AlreadyMerged,
    /// <summary>The step changed nothing.</summary>
    NothingToMerge,
    /// <summary>The step's changes conflict with the session branch: nothing was changed.</summary>
    Conflict,
}

/// <summary>The outcome of merging one step into its session branch.</summary>
/// <param name="Step">The step.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Conflicts">For a conflict: the files in conflict per repository (paths from the workspace folder).</param>
/// <param name="Commits">The merge commit made per repository.</param>
public sealed record MergeResult(StepRef Step, MergeStatus Status, IReadOnlyDictionary<string, IReadOnlyList<string>> Conflicts, IReadOnlyDictionary<string, string> Commits)
{
    /// <summary>Every conflicting file, in repository order.</summary>
    public IEnumerable<string> ConflictFiles => Conflicts.Values.SelectMany(f => f);
}

/// <summary>A run that has Orchestra branches or worktrees.</summary>
/// <param name="RunId">The run.</param>
/// <param name="CreatedAt">When its session began, when known.</param>
public sealed record GitRun(string RunId, DateTimeOffset? CreatedAt);

/// <summary>A branch that cleanup kept because deleting it would lose work.</summary>
/// <param name="Repo">The repository's name.</param>
/// <param name="Branch">The branch.</param>
/// <param name="Reason">Why it was kept and what to do about it.</param>
public sealed record KeptBranch(string Repo, string Branch, string Reason);

/// <summary>What cleanup removed and what it kept.</summary>
/// <param name="Worktrees">Step worktrees removed.</param>
/// <param name="DeletedBranches">Branches deleted.</param>
/// <param name="Kept">Branches kept, with the reason.</param>
public sealed record CleanupReport(int Worktrees, IReadOnlyList<string> DeletedBranches, IReadOnlyList<KeptBranch> Kept);
