using System.CommandLine;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra attach</c>, <c>approve</c> and <c>reject</c>: a person's part in a run.</summary>
internal static class HumanCommands
{
    private static readonly Argument<string> Id = new("id") { Description = "A run id, or one of its step ids (or a unique prefix)." };
    private static readonly Option<string?> Comment = new("--comment", "-m") { Description = "A note kept with the approval." };
    private static readonly Option<string?> Reason = new("--reason", "-m") { Description = "Why; a node with 'on_reject: revise' gets it as feedback." };
    private static readonly Option<int?> Parallel = new("--parallel", "-p") { Description = "Steps executed at once while attached (default: 'parallel' in config.yaml)." };

    private const string Help = "type a message to the agent, /done to finish the conversation, /approve, /reject [why], /quit to detach";

    /// <summary>The commands that fit what waits.</summary>
    private static string HelpFor(IReadOnlyList<HumanWait> waits)
    {
        var parts = new List<string>();
        if (waits.Any(w => w.Kind == HumanWaitKind.Message))
            parts.Add("type a message to the agent, /done to finish the conversation");
        if (waits.Any(w => w.Kind != HumanWaitKind.Message))
            parts.Add("/approve [comment], /reject [why]");
        parts.Add("/quit to detach");
        return string.Join(", ", parts);
    }

    public static Command CreateAttach()
    {
        var command = new Command("attach",
            "Talk to a waiting run: shows what waits and the agent's last reply, reads lines from standard input (a message, "
            + "/done, /approve, /reject [why], /quit) and runs the work after each until the run waits again. End of input detaches.")
        {
            Id, Parallel, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var cassette = CassetteOptions.Apply(ctx);
            var code = await AttachAsync(ctx, ct);
            CassetteOptions.Report(ctx, cassette);
            return code;
        });
        return command;
    }

    public static Command CreateApprove()
    {
        var command = new Command("approve", "Approve a step waiting for approval (or, given a run, every such step of it); continue the run with 'orchestra attach' or 'orchestra run'.") { Id, Comment };
        command.SetAction(async (ctx, ct) =>
        {
            var (run, steps) = await ApprovalTargetsAsync(ctx, ctx.Parse.GetValue(Id)!, ct);
            foreach (var w in steps)
            {
                var step = await ctx.Engine.ApproveAsync(w.Step.Id, ctx.Parse.GetValue(Comment), ct);
                ctx.Out.WriteLine($"approved {step.Id} {step.Name}: now {step.Status.ToWire()}");
            }
            ctx.Out.WriteLine(ContinueHint(run));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateReject()
    {
        var command = new Command("reject", "Reject a step waiting for approval (or, given a run, every such step of it): it fails, or runs again with the reason when its node has 'on_reject: revise'.") { Id, Reason };
        command.SetAction(async (ctx, ct) =>
        {
            var (run, steps) = await ApprovalTargetsAsync(ctx, ctx.Parse.GetValue(Id)!, ct);
            foreach (var w in steps)
            {
                var step = await ctx.Engine.RejectAsync(w.Step.Id, ctx.Parse.GetValue(Reason), ct);
                ctx.Out.WriteLine($"rejected {step.Id} {step.Name}: now {step.Status.ToWire()}");
            }
            var after = (await ctx.Store.GetRunAsync(run, ct))!;
            ctx.Out.WriteLine(after.Status.IsTerminal() ? $"run {run} {after.Status.ToWire()}" : ContinueHint(run));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string ContinueHint(string runId) => $"continue run {runId} with: orchestra attach {runId}   (or orchestra run --until-idle)";

    /// <summary>The steps an approve or reject acts on: the step given, or the run's steps that wait for an approval.</summary>
    private static async Task<(string Run, IReadOnlyList<HumanWait> Steps)> ApprovalTargetsAsync(CliContext ctx, string text, CancellationToken ct)
    {
        var id = await ctx.ResolveIdAsync(text, ct);
        var runId = Ids.IsRun(id) ? id : (await ctx.Store.GetStepAsync(id, ct))!.RunId;
        await ResolveGraphAsync(ctx, runId, ct);
        if (!Ids.IsRun(id))
        {
            var step = (await ctx.Store.GetStepAsync(id, ct))!;
            // The engine says what is wrong with the step, if anything (not waiting, a conversation...).
            return (runId, [new HumanWait(step, HumanWaitKind.Approval, 0)]);
        }
        var waits = (await ctx.Engine.ListWaitingAsync(runId, ct)).Where(w => w.Kind != HumanWaitKind.Message).ToList();
        if (waits.Count == 0)
            throw new OrchestraException($"Run {runId} has no step waiting for approval: see 'orchestra status {runId}'.", ErrorKind.Conflict);
        return (runId, waits);
    }

    /// <summary>Finds the run's graph (for a pipeline: compiles its recorded file) so that a problem with it is reported before anything is done.</summary>
    private static async Task ResolveGraphAsync(CliContext ctx, string runId, CancellationToken ct)
    {
        var run = (await ctx.Store.GetRunAsync(runId, ct))!;
        if (run.Kind == RunKinds.Graph && !run.Status.IsTerminal() && ctx.Engine.FindGraph(run) is null)
            throw new OrchestraException($"Run {runId} runs graph '{run.Name}', which this process cannot find: start pipelines with 'orchestra run <pipeline.yaml>' so that their file is recorded.", ErrorKind.NotFound);
    }

    private static async Task<int> AttachAsync(CliContext ctx, CancellationToken ct)
    {
        var id = await ctx.ResolveIdAsync(ctx.Parse.GetValue(Id)!, ct);
        var runId = Ids.IsRun(id) ? id : (await ctx.Store.GetStepAsync(id, ct))!.RunId;
        var run = (await ctx.Store.GetRunAsync(runId, ct))!;
        if (run.Status.IsTerminal())
            throw new OrchestraException($"Run {runId} is already {run.Status.ToWire()}: nothing waits for a person (see 'orchestra status {runId}').", ErrorKind.Conflict);
        await ResolveGraphAsync(ctx, runId, ct);
        var parallel = ctx.Parse.GetValue(Parallel) ?? ctx.Workspace.Config.Parallel;
        var input = Console.In;
        var terminal = !Console.IsInputRedirected;
        var mistakes = 0;

        // Work left ready (a message recorded just before a crash) runs first, so what is shown is current.
        if (!await WaitsOnlyForPersonAsync(ctx, runId, ct))
            await RunCommand.ExecuteAsync(ctx, untilIdle: true, parallel, quiet: false, ct, runId);

        while (!ct.IsCancellationRequested)
        {
            run = (await ctx.Store.GetRunAsync(runId, ct))!;
            if (run.Status.IsTerminal())
            {
                ctx.Out.WriteLine($"run {runId} {run.Status.ToWire()}{(run.Error is null ? "" : ": " + run.Error)}");
                return run.Status == RunStatus.Completed ? (mistakes > 0 ? ExitCodes.Usage : ExitCodes.Success) : ExitCodes.WorkFailed;
            }
            var waits = await ctx.Engine.ListWaitingAsync(runId, ct);
            if (waits.Count == 0)
            {
                ctx.Out.WriteLine($"run {runId} is {run.Status.ToWire()} and nothing in it waits for a person: see 'orchestra status {runId}'.");
                return mistakes > 0 ? ExitCodes.Usage : ExitCodes.Success;
            }
            WaitView.Write(ctx.Out, run, waits);
            ctx.Out.WriteLine(HelpFor(waits));
            if (terminal)
                ctx.Out.Write("> ");
            ctx.Out.Flush();
            var line = await input.ReadLineAsync(ct);
            if (line is null || line.Trim() is "/quit" or "/detach" or "/exit")
            {
                ctx.Out.WriteLine($"detached; run {runId} still waits: orchestra attach {runId}");
                return mistakes > 0 ? ExitCodes.Usage : ExitCodes.Success;
            }
            line = line.Trim();
            if (line.Length == 0)
                continue;
            try
            {
                if (!await ActAsync(ctx, waits, line, ct))
                    continue;
            }
            catch (OrchestraException ex)
            {
                mistakes++;
                ctx.Error.WriteLine($"error: {ex.Message}");
                continue;
            }
            await RunCommand.ExecuteAsync(ctx, untilIdle: true, parallel, quiet: false, ct, runId);
        }
        return 130;
    }

    /// <summary>Carries out one line; false when it changed nothing (help).</summary>
    private static async Task<bool> ActAsync(CliContext ctx, IReadOnlyList<HumanWait> waits, string line, CancellationToken ct)
    {
        var engine = ctx.Engine;
        var conversation = waits.FirstOrDefault(w => w.Kind == HumanWaitKind.Message);
        var approval = waits.FirstOrDefault(w => w.Kind != HumanWaitKind.Message);
        if (!line.StartsWith('/'))
        {
            if (conversation is null)
                throw new OrchestraException($"No agent here waits for a message; {Describe(approval!)}: /approve or /reject [why].");
            await engine.PostHumanMessageAsync(conversation.Step.Id, line, ct);
            return true;
        }
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var word = space < 0 ? line : line[..space];
        var rest = space < 0 ? null : line[(space + 1)..].Trim();
        switch (word)
        {
            case "/done":
                if (conversation is null)
                    throw new OrchestraException($"No conversation to finish; {Describe(approval!)}: /approve or /reject [why].");
                var done = await engine.FinishInteractiveAsync(conversation.Step.Id, ct);
                ctx.Out.WriteLine($"{done.Id} {done.Name} done: {done.Status.ToWire()}");
                return true;
            case "/approve":
                // Approving a conversation is refused by the engine with what to do instead.
                var approved = await engine.ApproveAsync((approval ?? conversation)!.Step.Id, rest, ct);
                ctx.Out.WriteLine($"approved {approved.Id} {approved.Name}");
                return true;
            case "/reject":
                var rejected = await engine.RejectAsync((approval ?? conversation)!.Step.Id, rest, ct);
                ctx.Out.WriteLine($"rejected {rejected.Id} {rejected.Name}: now {rejected.Status.ToWire()}");
                return true;
            case "/help" or "/?":
                return false;
            default:
                throw new OrchestraException($"Unknown command '{word}': {Help}.");
        }
    }

    private static string Describe(HumanWait w) => $"{w.Step.Id} {w.Step.Name} waits for {(w.Kind == HumanWaitKind.Start ? "approval to start" : "approval of its result")}";

    private static async Task<bool> WaitsOnlyForPersonAsync(CliContext ctx, string runId, CancellationToken ct)
    {
        var run = (await ctx.Store.GetRunAsync(runId, ct))!;
        return OrchestraEngine.IsWaitingForHuman(run, await ctx.Store.SummarizeAsync(runId, ct));
    }
}
