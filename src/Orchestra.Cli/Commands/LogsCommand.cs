using System.CommandLine;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra logs ID [-f]</c>: a step's log file and events.</summary>
internal static class LogsCommand
{
    private static readonly Argument<string> Id = new("id") { Description = "A step id (or a unique prefix)." };
    private static readonly Option<bool> Follow = new("--follow", "-f") { Description = "Keep printing until the step finishes." };

    public static Command Create()
    {
        var command = new Command("logs", "Print a step's log (its process output) and its events.") { Id, Follow };
        command.SetAction(async (ctx, ct) =>
        {
            var id = await ctx.ResolveStepIdAsync(ctx.Parse.GetValue(Id)!, ct);
            var follow = ctx.Parse.GetValue(Follow);
            var logPath = ctx.Workspace.Paths.LogFile(id);
            long offset = 0;
            long afterSeq = 0;
            var step = (await ctx.Store.GetStepAsync(id, ct))!;
            while (true)
            {
                afterSeq = await PrintEventsAsync(ctx, step.RunId, id, afterSeq, ct);
                offset = await PrintLogAsync(ctx, logPath, offset, ct);
                step = (await ctx.Store.GetStepAsync(id, ct))!;
                if (!follow || step.Status.IsTerminal())
                    break;
                await Task.Delay(TimeSpan.FromMilliseconds(250), ctx.Time, ct);
            }
            if (step.Status.IsTerminal())
            {
                await PrintLogAsync(ctx, logPath, offset, ct);
                if (!File.Exists(logPath) && step.Output is not null)
                    ctx.Out.WriteLine(step.Output);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<long> PrintEventsAsync(CliContext ctx, string runId, string stepId, long afterSeq, CancellationToken ct)
    {
        while (true)
        {
            var events = await ctx.Store.ListEventsAsync(runId, afterSeq, 500, ct);
            foreach (var e in events)
            {
                afterSeq = e.Seq;
                if (e.StepId != stepId)
                    continue;
                var data = e.Data is null ? "" : " " + e.Data.ToJsonString();
                ctx.Error.WriteLine($"[{e.At:HH:mm:ss.fff}] {e.Type}{data}");
            }
            if (events.Count < 500)
                return afterSeq;
        }
    }

    private static async Task<long> PrintLogAsync(CliContext ctx, string path, long offset, CancellationToken ct)
    {
        if (!File.Exists(path))
            return offset;
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset)
            return offset;
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(ct);
        await ctx.Out.WriteAsync(text);
        return stream.Length;
    }
}
