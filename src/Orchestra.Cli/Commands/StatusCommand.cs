using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Spectre.Console;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra status [ID]</c> and <c>orchestra watch</c>.</summary>
internal static class StatusCommand
{
    private static readonly Argument<string?> Id = new("id") { Description = "A step or run id (or a unique prefix).", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<bool> AsJson = new("--json") { Description = "Machine-readable output (see docs/cli-json.md)." };
    private static readonly Option<bool> All = new("--all", "-a") { Description = "Every step, not only the latest 50." };
    private static readonly Option<string> Interval = new("--interval") { Description = "How often to refresh.", DefaultValueFactory = _ => "1s" };
    private static readonly Option<bool> UntilIdle = new("--until-idle") { Description = "Exit once no step is pending, ready or running (steps waiting for a person wait for 'orchestra attach')." };

    private const int DefaultLimit = 50;

    public static Command CreateStatus()
    {
        var command = new Command("status", "Show steps: id, run, agent, status, attempts, duration, tokens, cost.") { Id, AsJson, All };
        command.SetAction(async (ctx, ct) =>
        {
            var summary = await ctx.Store.SummarizeAsync(null, ct);
            if (summary[StepStatus.Running] > 0)
            {
                // Settle steps whose worker died (sentinel files, dead processes) so status never shows a ghost.
                await ctx.Engine.ReclaimAsync(adopter: null, ct);
                summary = await ctx.Store.SummarizeAsync(null, ct);
            }
            var id = ctx.Parse.GetValue(Id);
            var json = ctx.Parse.GetValue(AsJson);
            if (id is not null)
                return await ShowOneAsync(ctx, await ctx.ResolveIdAsync(id, ct), json, ct);
            var limit = ctx.Parse.GetValue(All) ? (int?)null : DefaultLimit;
            var steps = await ctx.Store.ListStepsAsync(new StepQuery { Limit = limit, IncludeDependencies = json }, ct);
            var now = ctx.Time.GetUtcNow();
            if (json)
            {
                Json.Write(ctx.Out, new JsonArray(steps.Select(s => (JsonNode?)StepView.Json(s, now, false)).ToArray()));
                return ExitCodes.Success;
            }
            if (steps.Count == 0)
            {
                ctx.Out.WriteLine("No steps yet. Queue one with: orchestra start <agent> \"<prompt>\"");
                return ExitCodes.Success;
            }
            ctx.WriteTable(steps);
            var total = summary.Counts.Values.Sum();
            var parts = summary.Counts.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToWire()}");
            var shown = total > steps.Count ? $" (showing the latest {steps.Count}; --all for every one)" : "";
            ctx.Out.WriteLine($"{total} {(total == 1 ? "step" : "steps")}: {string.Join(", ", parts)}{shown}");
            if (summary[StepStatus.Waiting] > 0)
                await WriteWaitingHintsAsync(ctx, ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> ShowOneAsync(CliContext ctx, string id, bool json, CancellationToken ct)
    {
        var now = ctx.Time.GetUtcNow();
        if (Ids.IsRun(id))
        {
            var run = (await ctx.Store.GetRunAsync(id, ct))!;
            var steps = await ctx.Store.ListStepsAsync(new StepQuery { RunId = id, IncludeDependencies = json }, ct);
            if (json)
            {
                var o = StepView.Json(run);
                if (OrchestraEngine.IsWaitingForHuman(run, await ctx.Store.SummarizeAsync(run.Id, ct)))
                    o["waiting_for_person"] = true;
                o["steps"] = new JsonArray(steps.Select(s => (JsonNode?)StepView.Json(s, now, false)).ToArray());
                if (run.Kind == RunKinds.Graph)
                    o["nodes"] = new JsonArray(NodeView.Of(steps, now).Select(n => (JsonNode?)n.Json()).ToArray());
                Json.Write(ctx.Out, o);
                return ExitCodes.Success;
            }
            var usage = steps.Aggregate(default(Usage), (u, s) => u + s.Usage);
            // 'waiting' is derived: the stored status stays running while only people can move the run on.
            var waiting = OrchestraEngine.IsWaitingForHuman(run, await ctx.Store.SummarizeAsync(run.Id, ct));
            var (status, colour) = waiting ? ("waiting", "yellow") : (run.Status.ToWire(), StepView.Colour(run.Status));
            ctx.Console.MarkupLine($"run [bold]{run.Id}[/] {Markup.Escape(run.Name)} ({run.Kind}) [{colour}]{status}[/]  tokens {StepView.Tokens(usage)}  cost {StepView.Cost(usage)}");
            if (run.Error is not null)
                ctx.Console.MarkupLine($"[red]{Markup.Escape(run.Error)}[/]");
            if (run.Kind == RunKinds.Graph)
                ctx.Out.Write(NodeView.Table(NodeView.Of(steps, now), ctx.UseAnsi, ctx.Width));
            ctx.WriteTable(steps);
            if (steps.Any(s => s.Status == StepStatus.Waiting))
                WaitView.Hint(ctx.Out, run.Id, await ctx.Engine.ListWaitingAsync(run.Id, ct));
            return ExitCodes.Success;
        }
        var step = (await ctx.Store.GetStepAsync(id, ct))!;
        if (json)
        {
            Json.Write(ctx.Out, StepView.Json(step, now, true));
            return ExitCodes.Success;
        }
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string? v) => grid.AddRow(new Text(k, new Style(decoration: Decoration.Bold)), new Text(v ?? "-"));
        Row("step", $"{step.Id} ({step.Name})");
        Row("run", step.RunId);
        Row("agent", step.Agent);
        grid.AddRow(new Text("status", new Style(decoration: Decoration.Bold)), new Markup(StepView.Markup(step.Status)));
        Row("attempts", $"{step.Attempt}/{step.MaxAttempts}");
        Row("priority", step.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("depends on", step.DependsOn.Count == 0 ? "-" : string.Join(", ", step.DependsOn));
        Row("timeout", step.Timeout is { } t ? Durations.Format(t) : "-");
        Row("created", step.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        Row("duration", StepView.Duration(step, now) is { } d ? Durations.Format(d) : "-");
        Row("tokens", $"{StepView.Tokens(step.Usage)} (in {step.Usage.InputTokens}, out {step.Usage.OutputTokens})");
        Row("cost", StepView.Cost(step.Usage));
        Row("prompt", StepView.Short(step.Prompt, 300));
        if (step.Error is not null) Row("error", step.Error);
        if (step.Output is not null) Row("output", StepView.Short(step.Output, 2000));
        ctx.Console.Write(grid);
        return ExitCodes.Success;
    }

    public static Command CreateWatch()
    {
        var command = new Command("watch", "Show steps live; on a terminal the table redraws, elsewhere each change prints a line.") { Interval, UntilIdle };
        command.SetAction(async (ctx, ct) =>
        {
            var interval = Durations.Parse(ctx.Parse.GetValue(Interval), "--interval");
            if (interval < TimeSpan.FromMilliseconds(50))
                throw new OrchestraException("--interval must be at least 50ms.");
            var untilIdle = ctx.Parse.GetValue(UntilIdle);
            var time = ctx.Time;
            if (ctx.IsInteractive)
            {
                await ctx.Console.Live(new Text("loading…")).StartAsync(async live =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        await ctx.IntakeAsync(ct);
                        var steps = await ctx.Store.ListStepsAsync(new StepQuery { Limit = Math.Max(10, Console.WindowHeight - 6) }, ct);
                        live.UpdateTarget(new Text(StepView.Table(steps, time.GetUtcNow(), ansi: false, ctx.Width)));
                        if (untilIdle && await IsIdleAsync(ctx, ct)) break;
                        await Task.Delay(interval, time, ct);
                    }
                });
                return ExitCodes.Success;
            }
            var seen = new Dictionary<string, (StepStatus, int)>(StringComparer.Ordinal);
            while (!ct.IsCancellationRequested)
            {
                await ctx.IntakeAsync(ct);
                var steps = await ctx.Store.ListStepsAsync(new StepQuery { Limit = 500 }, ct);
                var now = time.GetUtcNow();
                foreach (var s in steps)
                {
                    if (seen.TryGetValue(s.Id, out var before) && before == (s.Status, s.Attempt))
                        continue;
                    seen[s.Id] = (s.Status, s.Attempt);
                    ctx.Out.WriteLine(StepView.Plain(s, now));
                }
                if (untilIdle && await IsIdleAsync(ctx, ct)) break;
                await Task.Delay(interval, time, ct);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Under the table of every step: which runs wait for a person and how to continue them.</summary>
    public static async Task WriteWaitingHintsAsync(CliContext ctx, CancellationToken ct)
    {
        var waiting = await ctx.Store.ListStepsAsync(new StepQuery { Statuses = [StepStatus.Waiting] }, ct);
        foreach (var runId in waiting.Select(s => s.RunId).Distinct())
            WaitView.Hint(ctx.Out, runId, await ctx.Engine.ListWaitingAsync(runId, ct));
    }

    private static async Task<bool> IsIdleAsync(CliContext ctx, CancellationToken ct)
    {
        var s = await ctx.Store.SummarizeAsync(null, ct);
        // Steps waiting for a person do not keep the view open: nothing changes until someone attaches.
        return s[StepStatus.Pending] + s[StepStatus.Ready] + s[StepStatus.Running] == 0;
    }
}
