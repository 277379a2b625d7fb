using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Git;

/// <summary>
/// Names of the branches and folders Orchestra makes. Step branches sit beside their session branch
/// (<c>orchestra/&lt;run&gt;-&lt;step&gt;</c>), not under it: git cannot hold both a branch
/// <c>orchestra/&lt;run&gt;</c> and branches below <c>orchestra/&lt;run&gt;/</c>.
/// </summary>
public static class GitNames
{
    /// <summary>The prefix of every branch Orchestra makes.</summary>
    public const string Prefix = "orchestra/";

    /// <summary>A run's session branch: <c>orchestra/&lt;run&gt;</c>.</summary>
    public static string SessionBranch(string runId) => Prefix + CheckRun(runId);

    /// <summary>A step's branch: <c>orchestra/&lt;run&gt;-&lt;step&gt;</c>.</summary>
    public static string StepBranch(string runId, string stepId) => $"{Prefix}{CheckRun(runId)}-{CheckStep(stepId)}";

    /// <summary>
    /// Splits a branch name made by Orchestra into its run and (for a step branch) step id; false for any other name.
    /// </summary>
    public static bool TryParse(string branch, out string runId, out string? stepId)
    {
        runId = "";
        stepId = null;
        if (branch is null || !branch.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var rest = branch[Prefix.Length..];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        var run = dash < 0 ? rest : rest[..dash];
        var step = dash < 0 ? null : rest[(dash + 1)..];
        if (!Ids.IsValid(run) || !Ids.IsRun(run) || (step is not null && (!Ids.IsValid(step) || !Ids.IsStep(step))))
            return false;
        runId = run;
        stepId = step;
        return true;
    }

    /// <summary>Checks a run id before it becomes part of a path or a branch name.</summary>
    public static string CheckRun(string runId) =>
        Ids.IsValid(runId) && Ids.IsRun(runId) ? runId : throw new OrchestraException($"'{runId}' is not a run id: run ids look like r0k9x2m4qa7bc.");

    /// <summary>Checks a step id before it becomes part of a path or a branch name.</summary>
    public static string CheckStep(string stepId) =>
        Ids.IsValid(stepId) && Ids.IsStep(stepId) ? stepId : throw new OrchestraException($"'{stepId}' is not a step id: step ids look like s0k9x2m4qa7bc.");
}
