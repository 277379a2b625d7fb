using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra checkpoints</c>, <c>replay</c> and <c>fork</c>: a pipeline run's history, and time travel in it.</summary>
internal static class CheckpointCommands
{
    private static readonly Argument<string> RunId = new("run") { Description = "A pipeline or graph run id (or a unique prefix)." };
    private static readonly Option<int?> Checkpoint = new("--checkpoint", "-c") { Description = "The checkpoint's number, as 'orchestra checkpoints RUN' lists them.", HelpName = "n" };
    private static readonly Option<int?> Show = new("--show") { Description = "Print checkpoint N whole: its state and node outputs, as JSON.", HelpName = "n" };
    private static readonly Option<bool> AsJson = new("--json") { Description = "Machine-readable output (see docs/cli-json.md)." };
    private static readonly Option<string[]> Set = new("--set", "-s") { Description = "An edit of the checkpoint's state (key=value, dotted paths allowed) or of a node's output (outputs.NODE.key=value); the value is JSON when it parses as JSON, else text. Repeatable.", HelpName = "path=value", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<bool> NoRun = new("--no-run") { Description = "Only move the run (or create the fork); a worker or 'orchestra run --until-idle' executes it later." };
    private static readonly Option<int?> Parallel = new("--parallel", "-p") { Description = "Steps executed at once (default: 'parallel' in config.yaml)." };
    private static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "No progress lines; only the summary." };

    public static Command CreateCheckpoints()
    {
        var command = new Command("checkpoints",
            "List a pipeline run's numbered checkpoints: what each recorded (node results, human actions, replays), the state keys it changed, "
            + "the steps open after it and the repositories' commits. Use a number with 'orchestra replay' or 'orchestra fork'.")
        {
            RunId, Show, AsJson,
        };
        command.SetAction(async (ctx, ct) =>
        {
            // Listing needs no graph: a run whose pipeline file changed since still shows its history.
            var runId = await ResolveRunAsync(ctx, ct, needGraph: false);
            var checkpoints = await ctx.Engine.ListCheckpointsAsync(runId, ct);
            var events = await ctx.Store.ListEventsAsync(runId, 0, int.MaxValue, ct);
            var nodes = (await ctx.Store.ListStepsAsync(new StepQuery { RunId = runId }, ct)).ToDictionary(s => s.Id, s => s.Node ?? s.Name, StringComparer.Ordinal);
            var rows = Describe(checkpoints, events, nodes);
            if (ctx.Parse.GetValue(Show) is { } n)
            {
                var one = rows.FirstOrDefault(r => r.Checkpoint.Number == n)
                    ?? throw new OrchestraException($"Run {runId} has checkpoints 1 to {checkpoints.Count}, not {n}.", ErrorKind.NotFound);
                var json = Json(one);
                json["state"] = one.Checkpoint.State.DeepClone();
                json["outputs"] = one.Checkpoint.Graph["outputs"]?.DeepClone() ?? new JsonObject();
                Rendering.Json.Write(ctx.Out, json);
                return ExitCodes.Success;
            }
            if (ctx.Parse.GetValue(AsJson))
            {
                Rendering.Json.Write(ctx.Out, new JsonArray(rows.Select(r => (JsonNode?)Json(r)).ToArray()));
                return ExitCodes.Success;
            }
            if (rows.Count == 0)
            {
                ctx.Out.WriteLine($"run {runId} has no checkpoints (it was created before Orchestra recorded them).");
                return ExitCodes.Success;
            }
            var table = new TextTable(">#", "AT", "RECORDED", "CHANGED", "OPEN AFTER", "COMMITS");
            foreach (var r in rows)
            {
                table.AddRow(
                    (r.Checkpoint.Number.ToString(CultureInfo.InvariantCulture), null),
                    (r.Checkpoint.At.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture), null),
                    (Recorded(r.Checkpoint), null),
                    (r.Changed.Count == 0 ? "-" : string.Join(", ", r.Changed), null),
                    (r.Open.Count == 0 ? "-" : string.Join(", ", r.Open.Select(o => o.Node)), null),
                    (r.Commits.Count == 0 ? "-" : string.Join(", ", r.Commits.Select(c => $"{c.Key}@{Short(c.Value)}")), null));
            }
            ctx.Out.Write(table.Render(ctx.UseAnsi, ctx.Width));
            ctx.Out.WriteLine($"replay one: orchestra replay {runId} --checkpoint N   fork one: orchestra fork {runId} --checkpoint N --set key=value");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateReplay()
    {
        var command = new Command("replay",
            "Put a pipeline run back to one of its checkpoints and continue it from there: its state becomes the checkpoint's, the steps "
            + "after it are set aside (kept as history, shown as superseded), the run's session branches go back to the commits recorded "
            + "then, and the nodes open at that checkpoint run again.")
        {
            RunId, Checkpoint, NoRun, Parallel, Quiet, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var runId = await ResolveRunAsync(ctx, ct);
            var number = RequireCheckpoint(ctx, "replay", runId);
            var cassette = CassetteOptions.Apply(ctx);
            var result = await ctx.Engine.ReplayAsync(runId, number, ct);
            ctx.Out.WriteLine($"run {runId} is back at checkpoint {number}: {Plural(result.Superseded.Count, "step")} set aside, "
                + $"{(result.Steps.Count == 0 ? "nothing left to run" : "to run again: " + string.Join(", ", result.Steps.Select(s => s.Node ?? s.Name)))}"
                + CommitsNote(result.Commits, "session branches at"));
            return await ContinueOrHintAsync(ctx, runId, () => CassetteOptions.Report(ctx, cassette), ct);
        });
        return command;
    }

    public static Command CreateFork()
    {
        var command = new Command("fork",
            "Start a new run from a checkpoint of a pipeline run, with edits (--set key=value, --set outputs.NODE.key=value). With edits, "
            + "the routing decided at that checkpoint is decided again over the edited values. The original run is not changed.")
        {
            RunId, Checkpoint, Set, NoRun, Parallel, Quiet, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var runId = await ResolveRunAsync(ctx, ct);
            var number = RequireCheckpoint(ctx, "fork", runId);
            var edits = (ctx.Parse.GetValue(Set) ?? []).Select(CheckpointEdit.Parse).ToList();
            var cassette = CassetteOptions.Apply(ctx);
            var result = await ctx.Engine.ForkAsync(runId, number, edits, ct);
            var fork = result.Run.Id;
            ctx.Out.WriteLine($"run {fork} forked from run {runId} at checkpoint {number}"
                + (edits.Count == 0 ? "" : $" with {string.Join(", ", edits.Select(e => $"{e.Path}={e.Value?.ToJsonString() ?? "null"}"))}")
                + $"; {(result.Steps.Count == 0 ? "nothing to run" : "to run: " + string.Join(", ", result.Steps.Select(s => s.Node ?? s.Name)))}"
                + CommitsNote(result.Commits, "starting from"));
            return await ContinueOrHintAsync(ctx, fork, () => CassetteOptions.Report(ctx, cassette), ct);
        });
        return command;
    }

    private sealed record Row(CheckpointRecord Checkpoint, IReadOnlyList<string> Changed, IReadOnlyList<(string Step, string Node)> Open, IReadOnlyDictionary<string, string> Commits);

    /// <summary>Each checkpoint with what the run's events say about it: one pass over the events.</summary>
    private static List<Row> Describe(IReadOnlyList<CheckpointRecord> checkpoints, IReadOnlyList<RunEvent> events, IReadOnlyDictionary<string, string> nodes)
    {
        var rows = new List<Row>(checkpoints.Count);
        var history = new CheckpointHistory();
        var next = 0;
        JsonObject? before = null;
        foreach (var c in checkpoints)
        {
            while (next < events.Count && events[next].Seq <= c.Seq)
                history.Apply(events[next++]);
            var changed = c.State.Where(kv => before is null || !JsonNode.DeepEquals(kv.Value, before[kv.Key])).Select(kv => kv.Key)
                .Concat(before?.Where(kv => !c.State.ContainsKey(kv.Key)).Select(kv => kv.Key) ?? []).ToList();
            rows.Add(new Row(c, changed, history.Open.Select(o => (o.Id, nodes.GetValueOrDefault(o.Id, "?"))).ToList(), history.Commits));
            before = c.State;
        }
        return rows;
    }

    private static JsonObject Json(Row r)
    {
        var c = r.Checkpoint;
        var json = new JsonObject
        {
            ["number"] = c.Number,
            ["at"] = c.At.ToString("O", CultureInfo.InvariantCulture),
            ["reason"] = c.Reason,
            ["steps"] = new JsonArray(c.Steps.Select(s => (JsonNode?)s).ToArray()),
            ["nodes"] = new JsonArray(c.Nodes.Select(s => (JsonNode?)s).ToArray()),
            ["changed"] = new JsonArray(r.Changed.Select(s => (JsonNode?)s).ToArray()),
            ["open"] = new JsonArray(r.Open.Select(o => (JsonNode?)new JsonObject { ["step"] = o.Step, ["node"] = o.Node }).ToArray()),
            ["commits"] = CheckpointHistory.ToJson(r.Commits),
        };
        if (c.Details is not null)
            json["details"] = c.Details.DeepClone();
        return json;
    }

    private static string Recorded(CheckpointRecord c) => c.Reason switch
    {
        CheckpointReasons.Created => "run created",
        CheckpointReasons.Step => string.Join(", ", c.Nodes) + " done",
        CheckpointReasons.Human => "person on " + string.Join(", ", c.Nodes),
        CheckpointReasons.Cancelled => c.Nodes.Count == 0 ? "run cancelled" : string.Join(", ", c.Nodes) + " cancelled",
        CheckpointReasons.Retry => string.Join(", ", c.Nodes) + " retried",
        CheckpointReasons.Replay => $"replayed to {c.Details?["replayed_to"]}",
        CheckpointReasons.Fork => $"forked from {c.Details?["forked_from"]} at {c.Details?["forked_at"]}",
        _ => c.Reason,
    };

    /// <summary>The run named; with <paramref name="needGraph"/>, its graph must be found (a pipeline's file unchanged).</summary>
    private static async Task<string> ResolveRunAsync(CliContext ctx, CancellationToken ct, bool needGraph = true)
    {
        var id = await ctx.ResolveIdAsync(ctx.Parse.GetValue(RunId)!, ct);
        if (!Ids.IsRun(id))
            id = (await ctx.Store.GetStepAsync(id, ct))!.RunId;
        var run = (await ctx.Store.GetRunAsync(id, ct))!;
        if (needGraph && run.Kind == RunKinds.Graph && ctx.Engine.FindGraph(run) is null)
            throw new OrchestraException($"Run {id} runs graph '{run.Name}', which this process cannot find: start pipelines with 'orchestra run <pipeline.yaml>' so that their file is recorded.", ErrorKind.NotFound);
        return id;
    }

    private static int RequireCheckpoint(CliContext ctx, string verb, string runId) =>
        ctx.Parse.GetValue(Checkpoint)
        ?? throw new OrchestraException($"Say which checkpoint: orchestra {verb} {runId} --checkpoint N (list them with 'orchestra checkpoints {runId}').");

    private static async Task<int> ContinueOrHintAsync(CliContext ctx, string runId, Action afterWork, CancellationToken ct)
    {
        if (ctx.Parse.GetValue(NoRun))
        {
            ctx.Out.WriteLine($"continue it with: orchestra run --until-idle   (see: orchestra status {runId})");
            return ExitCodes.Success;
        }
        var parallel = ctx.Parse.GetValue(Parallel) ?? ctx.Workspace.Config.Parallel;
        return await PipelineRun.ContinueAsync(ctx, runId, parallel, ctx.Parse.GetValue(Quiet), afterWork, ct);
    }

    private static string CommitsNote(IReadOnlyDictionary<string, string> commits, string what) =>
        commits.Count == 0 ? "" : $"; {what} " + string.Join(", ", commits.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}@{Short(c.Value)}"));

    private static string Short(string sha) => sha.Length > 10 ? sha[..10] : sha;

    private static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";
}
