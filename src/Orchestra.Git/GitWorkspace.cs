using Orchestra.Core;

namespace Orchestra.Git;

/// <summary>
/// Git isolation for the steps of a workspace: per run a session branch <c>orchestra/&lt;run&gt;</c> started from
/// <c>HEAD</c>; per isolated step a worktree in <c>.orchestra/worktrees/&lt;run&gt;/&lt;step&gt;</c> on a branch of its
/// own started from the session branch; the step's work committed when it succeeds; diffs against the step's base;
/// three-way merges into the session branch that change nothing on a conflict; cleanup of finished runs. A
/// multi-repository workspace gets the same in every repository.
/// </summary>
public sealed partial class GitWorkspace
{
    private readonly GitWorkspaceOptions _options;
    private Task<IReadOnlyList<RepoSlot>>? _slots;

    /// <summary>Creates the git side of a workspace. Nothing is read or run until an operation needs it.</summary>
    /// <exception cref="OrchestraException">A copy path or repository path leaves the workspace.</exception>
    public GitWorkspace(GitWorkspaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Root = Path.GetFullPath(options.Root);
        StateDirectory = Path.GetFullPath(options.StateDirectory ?? Path.Combine(Root, ".orchestra"));
        WorktreesDirectory = Path.Combine(StateDirectory, "worktrees");
        Git = options.Git ?? new GitCli();
        foreach (var path in options.Copy)
            CheckRelative(path, "worktree.copy");
        foreach (var (name, path) in options.Repos)
            CheckRelative(path, $"repos.{name}");
    }

    /// <summary>The workspace folder.</summary>
    public string Root { get; }

    /// <summary>The state folder (<c>.orchestra/</c>).</summary>
    public string StateDirectory { get; }

    /// <summary><c>.orchestra/worktrees/</c>: one folder per run, one worktree folder and record per step.</summary>
    public string WorktreesDirectory { get; }

    /// <summary>The git runner.</summary>
    public GitCli Git { get; }

    /// <summary>A run's folder.</summary>
    public string RunFolder(string runId) => Path.Combine(WorktreesDirectory, GitNames.CheckRun(runId));

    /// <summary>A step's folder: the worktree, or for several repositories the folder holding theirs.</summary>
    public string StepFolder(string runId, string stepId) => Path.Combine(RunFolder(runId), GitNames.CheckStep(stepId));

    private string StepFile(string runId, string stepId) => StepFolder(runId, stepId) + ".json";

    private string SessionFile(string runId) => Path.Combine(RunFolder(runId), "run.json");

    /// <summary>True when the step was given a worktree (it has a record, even when its worktree is gone).</summary>
    public bool HasStep(string runId, string stepId) => File.Exists(StepFile(runId, stepId));

    /// <summary>The step's branch, base and commit per repository, or null when it was never given a worktree.</summary>
    public IReadOnlyDictionary<string, StepRepoState>? FindStep(string runId, string stepId) =>
        ReadStep(runId, stepId)?.Repos;

    /// <summary>
    /// Checks that steps can be isolated now: git is installed, the workspace is in a repository with a commit, no
    /// branch blocks <c>orchestra/…</c>, and the working tree has no uncommitted changes (a worktree starts from the
    /// last commit and would not see them).
    /// </summary>
    /// <exception cref="OrchestraException">One of those does not hold; the message says how to fix it.</exception>
    public async Task CheckReadyAsync(CancellationToken cancellationToken = default)
    {
        foreach (var slot in await SlotsAsync(cancellationToken).ConfigureAwait(false))
            await CheckBaseAsync(slot, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckRelative(string path, string key)
    {
        if (string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) || path.Replace('\\', '/').Split('/').Contains(".."))
            throw new OrchestraException($"{key}: '{path}' must be a path inside the workspace, relative to it and without '..'.");
    }

    private StepMetadata? ReadStep(string runId, string stepId) =>
        MetadataFile.Read(StepFile(runId, stepId)) is { } json ? StepMetadata.FromJson(json) : null;

    private StepMetadata RequireStep(string runId, string stepId) =>
        ReadStep(runId, stepId)
        ?? throw new OrchestraException($"step {stepId} has no worktree: only steps started with --worktree (or an agent with 'isolation: worktree') have one.", ErrorKind.NotFound);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>The message of a step's commit: <c>orchestra: &lt;step name&gt; (&lt;agent&gt;) [run &lt;run&gt;, step &lt;step&gt;]</c>.</summary>
    public static string CommitMessage(StepRef step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return $"orchestra: {OneLine(step.Name)} ({OneLine(step.Agent)}) [run {step.RunId}, step {step.StepId}]";
    }
}
