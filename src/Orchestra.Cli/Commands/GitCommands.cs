using System.CommandLine;
using Orchestra.Core;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Git;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra diff</c>, <c>merge</c> and <c>cleanup</c>: the git side of steps run with <c>--worktree</c>.</summary>
internal static class GitCommands
{
    private static readonly Argument<string> StepId = new("step") { Description = "A step id (or a unique prefix) of a step run in its own worktree." };
    private static readonly Argument<string> Target = new("id") { Description = "A step id, or a run id to merge all its isolated steps in order (a unique prefix works)." };
    private static readonly Option<bool> Stat = new("--stat") { Description = "A summary per file instead of the full diff." };
    private static readonly Option<string> OlderThan = new("--older-than") { Description = "Only runs that finished longer ago than this.", DefaultValueFactory = _ => "14d" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Say which runs would be cleaned up, change nothing." };

    public static Command CreateDiff()
    {
        var command = new Command("diff", "What a step changed in its worktree, against its base (the session branch when the step began).") { StepId, Stat };
        command.SetAction(async (ctx, ct) =>
        {
            var id = await ctx.ResolveStepIdAsync(ctx.Parse.GetValue(StepId)!, ct);
            var step = (await ctx.Store.GetStepAsync(id, ct))!;
            var text = await ctx.Workspace.Git.DiffAsync(step.RunId, step.Id, ctx.Parse.GetValue(Stat), ct);
            if (text.Length == 0)
                ctx.Error.WriteLine($"step {step.Id} changed nothing");
            await ctx.Out.WriteAsync(text);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateMerge()
    {
        var command = new Command("merge", "Three-way merge a step's branch (or every isolated step of a run, in order) into the run's session branch orchestra/<run>; on a conflict nothing changes and the files are listed.") { Target };
        command.SetAction(async (ctx, ct) =>
        {
            var id = await ctx.ResolveIdAsync(ctx.Parse.GetValue(Target)!, ct);
            var git = ctx.Workspace.Git;
            List<StepRecord> steps;
            if (Ids.IsStep(id))
            {
                var step = (await ctx.Store.GetStepAsync(id, ct))!;
                if (step.Status != StepStatus.Succeeded && git.HasStep(step.RunId, step.Id))
                    throw new OrchestraException($"step {step.Id} is {step.Status.ToWire()}: only a step that succeeded is merged; its worktree is kept in {Relative(ctx, git.StepFolder(step.RunId, step.Id))} (see 'orchestra diff {step.Id}').");
                steps = [step];
            }
            else
            {
                steps = (await ctx.Store.ListStepsAsync(new StepQuery { RunId = id }, ct)).Where(s => git.HasStep(s.RunId, s.Id)).OrderBy(s => s.Seq).ToList();
                if (steps.Count == 0)
                    throw new OrchestraException($"run {id} has no steps that ran in their own worktree: start tasks with --worktree (or give the agent 'isolation: worktree').", ErrorKind.NotFound);
            }
            var conflicts = new List<string>();
            foreach (var step in steps)
            {
                var label = $"{step.Id} ({step.Name})";
                if (step.Status != StepStatus.Succeeded)
                {
                    ctx.Out.WriteLine($"skipped {label}: {step.Status.ToWire()}, its worktree is kept");
                    continue;
                }
                var result = await git.MergeAsync(new StepRef(step.RunId, step.Id, step.Name, step.Agent), ct);
                var session = GitNames.SessionBranch(step.RunId);
                switch (result.Status)
                {
                    case MergeStatus.Merged:
                        ctx.Out.WriteLine($"merged {label} into {session}");
                        break;
                    case MergeStatus.AlreadyMerged:
                        ctx.Out.WriteLine($"{label} is already in {session}");
                        break;
                    case MergeStatus.NothingToMerge:
                        ctx.Out.WriteLine($"{label} changed nothing");
                        break;
                    default:
                        var branch = GitNames.StepBranch(step.RunId, step.Id);
                        conflicts.Add($"{label} conflicts with {session} in {string.Join(", ", result.ConflictFiles)} (resolve by hand: git switch {session} && git merge {branch})");
                        break;
                }
            }
            if (conflicts.Count > 0)
                throw new OrchestraException($"merge conflict: {string.Join("; ", conflicts)}. Nothing was lost: both branches are unchanged and the worktrees are kept.", ErrorKind.Conflict);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateCleanup()
    {
        var command = new Command("cleanup", "Remove the worktrees of finished runs and their branches whose work is merged; branches with unmerged work are kept and listed.") { OlderThan, DryRun };
        command.SetAction(async (ctx, ct) =>
        {
            var age = Durations.Parse(ctx.Parse.GetValue(OlderThan), "--older-than");
            var before = ctx.Time.GetUtcNow() - age;
            var git = ctx.Workspace.Git;
            var stale = new List<string>();
            foreach (var run in await git.ListRunsAsync(ct))
            {
                var record = await ctx.Store.GetRunAsync(run.RunId, ct);
                // A run the store no longer has (removed by 'orchestra clean') is finished; its age is its session's.
                var finished = record is null ? run.CreatedAt ?? DateTimeOffset.MinValue
                    : record.Status.IsTerminal() ? record.FinishedAt ?? record.CreatedAt
                    : (DateTimeOffset?)null;
                if (finished is { } at && at <= before)
                    stale.Add(run.RunId);
            }
            if (ctx.Parse.GetValue(DryRun))
            {
                foreach (var run in stale)
                    ctx.Out.WriteLine($"would clean up run {run}");
                ctx.Out.WriteLine($"{stale.Count} runs would be cleaned up");
                return ExitCodes.Success;
            }
            var report = await git.CleanupAsync(stale, ct);
            ctx.Out.WriteLine(GitWorkspace.Describe(report));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Relative(CliContext ctx, string path) => Path.GetRelativePath(ctx.Workspace.Root, path);
}
