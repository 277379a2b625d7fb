using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Cli.Rendering;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra submit plan.yaml</c>: a dependency plan in one go.</summary>
internal static class SubmitCommand
{
    private static readonly Argument<string> File = new("plan") { Description = "The plan file (YAML with a 'tasks:' list)." };
    private static readonly Option<bool> AsJson = new("--json") { Description = "Print the run and its steps as JSON." };

    public static Command Create()
    {
        var command = new Command("submit", "Submit a dependency plan; everything is checked before anything is queued.") { File, AsJson };
        command.SetAction(async (ctx, ct) =>
        {
            var spec = PlanLoader.Load(ctx.Parse.GetValue(File)!, ctx.Workspace);
            // Refused before anything is queued, as 'start --worktree' is: tasks of isolated agents need git ready.
            if (spec.Steps.Any(ctx.Workspace.IsIsolated))
                await ctx.Workspace.Git.CheckReadyAsync(ct);
            var submission = await ctx.Engine.SubmitAsync(spec, ct);
            if (ctx.Parse.GetValue(AsJson))
            {
                var now = ctx.Time.GetUtcNow();
                var o = StepView.Json(submission.Run);
                o["steps"] = new JsonArray(submission.Steps.Select(s => (JsonNode?)StepView.Json(s, now, false)).ToArray());
                Json.Write(ctx.Out, o);
            }
            else
            {
                ctx.Out.WriteLine(submission.Run.Id);
                ctx.Error.WriteLine($"queued {submission.Steps.Count} tasks in run {submission.Run.Id} ({submission.Run.Name}); run them with 'orchestra run --until-idle'");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
