using System.CommandLine;
using System.Globalization;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Workspace;
using Spectre.Console;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra run</c> (execute ready work, then exit when idle) and <c>orchestra worker</c> (forever).</summary>
internal static class RunCommand
{
    private static readonly Option<int?> Parallel = new("--parallel", "-p") { Description = "Steps executed at once (default: 'parallel' in config.yaml, 4)." };
    private static readonly Option<bool> UntilIdle = new("--until-idle") { Description = "Exit once nothing is ready or running (the default for 'run')." };
    private static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "No progress lines; only the summary." };

    public static Command CreateRun()
    {
        var command = new Command("run", "Execute ready work with live progress, then exit when nothing is left to do; or, given a pipeline file, run that pipeline to its end. Exit code 1 if a step (or the pipeline) failed.")
        {
            PipelineRun.File, PipelineRun.Inputs, PipelineRun.InputFile,
            Parallel, UntilIdle, Quiet, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction((ctx, ct) =>
        {
            if (ctx.Parse.GetValue(PipelineRun.File) is { } file)
                return PipelineRun.ExecuteAsync(ctx, file, ctx.Parse.GetValue(Parallel) ?? ctx.Workspace.Config.Parallel, ctx.Parse.GetValue(Quiet), ct);
            PipelineRun.RefuseInputsWithoutFile(ctx);
            return ExecuteAsync(ctx, untilIdle: true, ct);
        });
        return command;
    }

    public static Command CreateWorker()
    {
        var command = new Command("worker", "Execute work forever (until Ctrl+C or SIGTERM); any number of workers can share a store.")
        {
            Parallel, Quiet, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction((ctx, ct) => ExecuteAsync(ctx, untilIdle: false, ct));
        return command;
    }

    private static async Task<int> ExecuteAsync(CliContext ctx, bool untilIdle, CancellationToken ct)
    {
        var cassette = CassetteOptions.Apply(ctx);
        await PipelineRun.ResolveOpenRunsAsync(ctx, ct);
        var code = await ExecuteAsync(ctx, untilIdle, ctx.Parse.GetValue(Parallel) ?? ctx.Workspace.Config.Parallel, ctx.Parse.GetValue(Quiet), ct);
        CassetteOptions.Report(ctx, cassette);
        if (code != 130 && (await ctx.Store.SummarizeAsync(null, ct))[StepStatus.Waiting] > 0)
            await StatusCommand.WriteWaitingHintsAsync(ctx, ct);
        return code;
    }

    /// <summary>Runs a worker in this process with progress lines; exit code 1 when a step failed.</summary>
    /// <param name="ctx">The command's context.</param>
    /// <param name="untilIdle">Exit once nothing is left to do.</param>
    /// <param name="parallel">Steps at once.</param>
    /// <param name="quiet">Only the summary.</param>
    /// <param name="ct">Stops the worker.</param>
    /// <param name="runId">Execute only this run's steps, until it ends; null for any work.</param>
    public static async Task<int> ExecuteAsync(CliContext ctx, bool untilIdle, int parallel, bool quiet, CancellationToken ct, string? runId = null)
    {
        if (parallel < 1)
            throw new OrchestraException($"--parallel must be at least 1, not {parallel}.");
        var engine = ctx.Engine;
        var progress = new Progress(ctx, quiet);
        using var subscription = engine.Events.Subscribe(progress.OnEvent);
        using var worker = new Worker(engine, new WorkerOptions
        {
            Parallelism = parallel,
            UntilIdle = untilIdle,
            PollInterval = ctx.Workspace.Config.PollInterval,
            WorkerId = WorkerIdentity.ForCurrentProcess(),
            RunId = runId,
        });
        DebugLog.Write(ctx, $"worker {worker.Id} parallel={parallel} until_idle={untilIdle}");
        var started = engine.Time.GetTimestamp();
        var summary = await worker.RunAsync(ct);
        var elapsed = engine.Time.GetElapsedTime(started);
        progress.Summarize(summary, elapsed);
        if (ct.IsCancellationRequested)
            return 130;
        return progress.Failures > 0 ? ExitCodes.WorkFailed : ExitCodes.Success;
    }

    /// <summary>Prints one line per step event; colours on a terminal, plain text elsewhere.</summary>
    private sealed class Progress(CliContext ctx, bool quiet)
    {
        private readonly Lock _lock = new();
        private Usage _usage;

        public int Failures { get; private set; }

        public void OnEvent(RunEvent e)
        {
            if (e.Type is not (EventTypes.StepStarted or EventTypes.StepFinished or EventTypes.StepRetrying or EventTypes.StepWaiting))
                return;
            var d = e.Data;
            var name = d?["name"]?.GetValue<string>() ?? "";
            var agent = d?["agent"]?.GetValue<string>() ?? "";
            lock (_lock)
            {
                if (e.Type == EventTypes.StepFinished)
                {
                    if (!Statuses.TryParseStep(d?["status"]?.GetValue<string>(), out var status))
                        return;
                    if (status is StepStatus.Failed or StepStatus.TimedOut)
                        Failures++;
                    _usage += new Usage
                    {
                        InputTokens = d?["input_tokens"]?.GetValue<long>() ?? 0,
                        OutputTokens = d?["output_tokens"]?.GetValue<long>() ?? 0,
                        CostUsd = d?["cost_usd"]?.GetValue<decimal>() ?? 0,
                    };
                    if (quiet) return;
                    var error = d?["error"]?.GetValue<string>() is { } err ? " — " + StepView.Short(err, 200) : "";
                    Line(StepView.Colour(status), $"{StepView.Icon(status)} {e.StepId} {name} ({agent}) {status.ToWire()}{error}");
                }
                else if (e.Type == EventTypes.StepWaiting)
                {
                    if (quiet) return;
                    var asks = d?["kind"]?.GetValue<string>() switch
                    {
                        "message" => "waits for your message",
                        "start" => "waits for approval to start",
                        _ => "waits for approval of its result",
                    };
                    Line("yellow", $"⏸ {e.StepId} {name} ({agent}) {asks}");
                }
                else if (!quiet && e.Type == EventTypes.StepStarted)
                {
                    Line("blue", $"● {e.StepId} {name} ({agent}) started, attempt {d?["attempt"]}");
                }
                else if (!quiet)
                {
                    var delay = TimeSpan.FromMilliseconds(d?["delay_ms"]?.GetValue<long>() ?? 0);
                    Line("yellow", $"↻ {e.StepId} {name} ({agent}) attempt {d?["attempt"]} failed, retrying in {Durations.Format(delay)}: {StepView.Short(d?["error"]?.GetValue<string>() ?? "", 160)}");
                }
            }
        }

        private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

        private void Line(string colour, string text)
        {
            if (ctx.NoColor || !ctx.Console.Profile.Capabilities.Ansi)
                ctx.Out.WriteLine(text);
            else
                ctx.Console.MarkupLine($"[{colour}]{Markup.Escape(text)}[/]");
        }

        public void Summarize(WorkerSummary summary, TimeSpan elapsed)
        {
            var rate = elapsed.TotalSeconds > 0 ? summary.Started / elapsed.TotalSeconds : 0;
            var text = $"{Plural(summary.Started, "attempt")}: {summary.Succeeded} succeeded, {summary.Unsuccessful} unsuccessful in {Durations.Format(elapsed)}";
            if (summary.Started >= 100)
                text += string.Create(CultureInfo.InvariantCulture, $" ({rate:0} steps/s)");
            if (!_usage.IsEmpty)
                text += $"; {StepView.Tokens(_usage)} tokens, {StepView.Cost(_usage)}";
            ctx.Error.WriteLine(text);
        }
    }
}
