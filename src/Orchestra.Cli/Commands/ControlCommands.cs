using System.CommandLine;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra cancel</c>, <c>retry</c> and <c>timeout</c>.</summary>
internal static class ControlCommands
{
    private static readonly Argument<string> Id = new("id") { Description = "A step or run id (or a unique prefix)." };
    private static readonly Argument<string> StepId = new("id") { Description = "A step id (or a unique prefix)." };
    private static readonly Argument<string> Duration = new("duration") { Description = "The new timeout, e.g. 30m." };
    private static readonly Option<int> Attempts = new("--attempts") { Description = "How many more attempts to allow.", DefaultValueFactory = _ => 1 };

    public static Command CreateCancel()
    {
        var command = new Command("cancel", "Cancel a step (and its dependants) or a whole run; running processes are killed with their children.") { Id };
        command.SetAction(async (ctx, ct) =>
        {
            var id = await ctx.ResolveIdAsync(ctx.Parse.GetValue(Id)!, ct);
            var cancelled = await ctx.Engine.CancelAsync(id, ct);
            ctx.Out.WriteLine(Ids.IsRun(id)
                ? $"cancelled run {id} ({cancelled.Count} open steps)"
                : $"cancelled {id}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateRetry()
    {
        var command = new Command("retry", "Run a failed, timed-out, cancelled or skipped step again (dependants it stopped wait for it again).") { StepId, Attempts };
        command.SetAction(async (ctx, ct) =>
        {
            var id = await ctx.ResolveStepIdAsync(ctx.Parse.GetValue(StepId)!, ct);
            var step = await ctx.Engine.RetryAsync(id, ctx.Parse.GetValue(Attempts), ct);
            ctx.Out.WriteLine($"{step.Id} is {step.Status.ToWire()} again; run it with 'orchestra run --until-idle'");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateTimeout()
    {
        var command = new Command("timeout", "Change a step's timeout; a running attempt's deadline moves with it.") { StepId, Duration };
        command.SetAction(async (ctx, ct) =>
        {
            var timeout = Durations.Parse(ctx.Parse.GetValue(Duration), "the timeout");
            var id = await ctx.ResolveStepIdAsync(ctx.Parse.GetValue(StepId)!, ct);
            var step = await ctx.Engine.SetTimeoutAsync(id, timeout, ct);
            ctx.Out.WriteLine($"{step.Id} timeout {Durations.Format(timeout)}");
            return ExitCodes.Success;
        });
        return command;
    }
}
