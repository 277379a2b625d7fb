using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Pipelines;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Cli.Commands;

/// <summary>
/// <c>orchestra run pipeline.yaml [--input k=v ...] [--input-file inputs.yaml]</c>: compile, check the inputs, start a
/// durable graph run that records its file, and execute it to the end in this process.
/// </summary>
internal static class PipelineRun
{
    public static readonly Argument<string?> File = new("pipeline") { Description = "A pipeline file (YAML) to run to its end; without it, 'run' executes queued work.", Arity = ArgumentArity.ZeroOrOne };
    public static readonly Option<string[]> Inputs = new("--input", "-i") { Description = "An input of the pipeline, as name=value (repeatable).", HelpName = "name=value", Arity = ArgumentArity.ZeroOrMore };
    public static readonly Option<string?> InputFile = new("--input-file") { Description = "A YAML file of inputs (name: value); --input wins over it.", HelpName = "file" };

    /// <summary>Inputs belong to a pipeline: given without one, nothing runs.</summary>
    public static void RefuseInputsWithoutFile(CliContext ctx)
    {
        if (ctx.Parse.GetValue(Inputs) is { Length: > 0 } || ctx.Parse.GetValue(InputFile) is not null)
            throw new OrchestraException("--input and --input-file need a pipeline file: orchestra run PIPELINE.yaml --input name=value.");
    }

    /// <summary>
    /// Finds the graphs of pipeline runs left open (by a crash, or by another process) before a worker takes their steps,
    /// so that a run whose file changed is refused here, with nothing done, rather than failed half-way.
    /// </summary>
    public static async Task ResolveOpenRunsAsync(CliContext ctx, CancellationToken ct)
    {
        foreach (var run in await ctx.Store.ListRunsAsync(10_000, ct))
        {
            if (!run.Status.IsTerminal() && PipelineCatalog.TryGetSource(run, out _, out _))
                ctx.Engine.FindGraph(run);
        }
    }

    public static async Task<int> ExecuteAsync(CliContext ctx, string file, int parallel, bool quiet, CancellationToken ct) =>
        (await RunAsync(ctx, file, () => ReadInputs(ctx), () => CassetteOptions.Apply(ctx), parallel, quiet, ct)).Code;

    /// <summary>
    /// Compiles <paramref name="file"/>, builds its initial state from <paramref name="inputs"/>, then (only when both
    /// succeeded) opens the cassette, submits the run and executes it to its end. Returns the exit code and the run id
    /// (null when nothing was started).
    /// </summary>
    public static async Task<(int Code, string? RunId)> RunAsync(CliContext ctx, string file, Func<IReadOnlyDictionary<string, JsonNode?>> inputs,
        Func<Cassette?> openCassette, int parallel, bool quiet, CancellationToken ct)
    {
        if (parallel < 1)
            throw new OrchestraException($"--parallel must be at least 1, not {parallel}.");
        CompiledPipeline pipeline;
        JsonObject source;
        try
        {
            pipeline = ctx.Pipelines.Compile(file, out source);
        }
        catch (PipelineException ex)
        {
            // Exactly what 'orchestra compile' prints.
            foreach (var d in ex.Errors.Concat(ex.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning)))
                ctx.Error.WriteLine(d.ToString());
            return (ExitCodes.Usage, null);
        }
        foreach (var warning in pipeline.Warnings)
            ctx.Error.WriteLine(warning.ToString());
        var state = pipeline.CreateInitialState(inputs());

        var cassette = openCassette();
        var engine = ctx.Engine;
        engine.Graphs.Register(pipeline.Graph);
        var submission = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Graph,
            Name = pipeline.Name,
            State = state,
            GraphSource = source,
        }, ct);
        var runId = submission.Run.Id;
        // Tie the run to the graph just compiled, so an edit of the file while it runs cannot change it half-way.
        engine.FindGraph(submission.Run);
        ctx.Out.WriteLine($"run {runId} pipeline {pipeline.Name} ({source["path"]})");
        return (await ContinueAsync(ctx, runId, parallel, quiet, () => CassetteOptions.Report(ctx, cassette), ct), runId);
    }

    /// <summary>
    /// Executes the open steps of graph run <paramref name="runId"/> here until it ends or waits for a person, then
    /// prints the per-node table. Exit code: 0 when it completed or waits, 1 when it failed or was cancelled.
    /// </summary>
    public static async Task<int> ContinueAsync(CliContext ctx, string runId, int parallel, bool quiet, Action? afterWork, CancellationToken ct)
    {
        var code = await RunCommand.ExecuteAsync(ctx, untilIdle: true, parallel, quiet, ct, runId);
        afterWork?.Invoke();
        if (code == 130)
            return code;
        var run = (await ctx.Store.GetRunAsync(runId, ct))!;
        var steps = await ctx.Store.ListStepsAsync(new StepQuery { RunId = runId }, ct);
        WriteSummary(ctx, run, steps);
        if (steps.Any(s => s.Status == StepStatus.Waiting))
            WaitView.Hint(ctx.Out, run.Id, await ctx.Engine.ListWaitingAsync(run.Id, ct));
        return run.Status switch
        {
            RunStatus.Completed => ExitCodes.Success,
            RunStatus.Failed or RunStatus.Cancelled => ExitCodes.WorkFailed,
            // Left open (paused, waiting for a person): not a failure; 'orchestra run' continues it later.
            _ => ExitCodes.Success,
        };
    }

    /// <summary>The run's status, its error, and the per-node table.</summary>
    public static void WriteSummary(CliContext ctx, RunRecord run, IReadOnlyList<StepRecord> steps)
    {
        var now = ctx.Time.GetUtcNow();
        var usage = steps.Aggregate(default(Usage), (u, s) => u + s.Usage);
        var took = run.StartedAt is { } start ? " in " + Durations.Format((run.FinishedAt ?? now) - start) : "";
        ctx.Out.Write(NodeView.Table(NodeView.Of(steps, now), ctx.UseAnsi, ctx.Width));
        // 'waiting' is derived (see OrchestraEngine.IsWaitingForHuman): the stored status stays running.
        var status = !run.Status.IsTerminal() && steps.Any(s => s.Status == StepStatus.Waiting)
            && !steps.Any(s => s.Status is StepStatus.Ready or StepStatus.Running) ? "waiting" : run.Status.ToWire();
        ctx.Out.WriteLine($"run {run.Id} {run.Name} {status}{took}; {StepView.Tokens(usage)} tokens, {StepView.Cost(usage)}");
        if (run.Error is not null)
            ctx.Out.WriteLine($"error: {run.Error}");
        if (!run.Status.IsTerminal() && !steps.Any(s => s.Status == StepStatus.Waiting))
            ctx.Out.WriteLine($"continue it with: orchestra run --until-idle   (see: orchestra status {run.Id})");
    }

    /// <summary>The inputs given: the input file's, then each <c>--input name=value</c> over them.</summary>
    private static Dictionary<string, JsonNode?> ReadInputs(CliContext ctx)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (ctx.Parse.GetValue(InputFile) is { } path)
        {
            var yaml = YamlSource.Load(path);
            if (yaml.Root is not null && yaml.Root is not JsonObject)
                throw new OrchestraException($"{path}: expected a mapping of input names to values (base: main).");
            foreach (var (name, value) in yaml.Root as JsonObject ?? [])
                inputs[name] = value?.DeepClone();
        }
        foreach (var given in ctx.Parse.GetValue(Inputs) ?? [])
        {
            var eq = given.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new OrchestraException($"--input '{given}' is not name=value: write it as --input name=value.");
            inputs[given[..eq].Trim()] = JsonValue.Create(given[(eq + 1)..]);
        }
        return inputs;
    }
}
