using System.CommandLine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra clean [--older-than 7d]</c>: remove finished runs and their files.</summary>
internal static class CleanCommand
{
    private static readonly Option<string> OlderThan = new("--older-than") { Description = "Only runs that finished longer ago than this.", DefaultValueFactory = _ => "7d" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Say what would be removed, remove nothing." };

    public static Command Create()
    {
        var command = new Command("clean", "Remove finished runs (all steps terminal) with their events, logs and sentinel files.") { OlderThan, DryRun };
        command.SetAction(async (ctx, ct) =>
        {
            var age = Durations.Parse(ctx.Parse.GetValue(OlderThan), "--older-than");
            var before = ctx.Time.GetUtcNow() - age;
            if (ctx.Parse.GetValue(DryRun))
            {
                var runs = (await ctx.Store.ListRunsAsync(int.MaxValue, ct)).Where(r => r.Status.IsTerminal() && r.FinishedAt < before).ToList();
                foreach (var r in runs)
                    ctx.Out.WriteLine($"would remove run {r.Id} {r.Name} ({r.Status.ToWire()})");
                ctx.Out.WriteLine($"{runs.Count} runs would be removed");
                return ExitCodes.Success;
            }
            var stepIds = new List<string>();
            foreach (var run in (await ctx.Store.ListRunsAsync(int.MaxValue, ct)).Where(r => r.Status.IsTerminal() && r.FinishedAt < before))
                stepIds.AddRange((await ctx.Store.ListStepsAsync(new StepQuery { RunId = run.Id }, ct)).Select(s => s.Id));
            var deleted = await ctx.Engine.DeleteFinishedRunsAsync(before, ct);
            var files = 0;
            foreach (var id in stepIds)
                files += DeleteStepFiles(ctx, id);
            ctx.Out.WriteLine($"removed {deleted.Count} runs ({stepIds.Count} steps, {files} files)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static int DeleteStepFiles(CliContext ctx, string stepId)
    {
        if (!Ids.IsValid(stepId))
            return 0;
        var paths = ctx.Workspace.Paths;
        var count = 0;
        foreach (var path in new[] { paths.LogFile(stepId), paths.PlanFile(stepId), paths.DoneFile(stepId), paths.ErrorFile(stepId), paths.CancelledFile(stepId), paths.TimeoutFile(stepId), paths.HandleFile(stepId) })
        {
            if (!File.Exists(path)) continue;
            File.Delete(path);
            count++;
        }
        return count;
    }
}
