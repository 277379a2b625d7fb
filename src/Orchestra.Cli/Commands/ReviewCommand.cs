using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Workspace;
using Orchestra.Workspace.Reviews;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra review</c> (a read-only review by one or more agents) and <c>orchestra findings</c> (their findings, compared).</summary>
internal static class ReviewCommand
{
    private static readonly Argument<string[]> Paths = new("paths") { Description = "Files or directories to review (default: the whole workspace).", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string> Template = new("--template", "-t") { Description = "code, arch or tasks.", DefaultValueFactory = _ => "code" };
    private static readonly Option<string?> Rules = new("--rules") { Description = "A file of project rules the reviewers must check." };
    private static readonly Option<string?> Agents = new("--agents", "-a") { Description = "Comma-separated reviewer agents (default: reviewer)." };
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print the findings as JSON instead of markdown." };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Time allowed per reviewer, e.g. 20m." };
    private static readonly Option<string?> Run = new("--run") { Description = "The review run (default: the latest)." };

    public static Command CreateReview()
    {
        var command = new Command("review", "Review files read-only with one or more agents; findings as markdown (or --json), compared across reviewers.")
        {
            Paths, Template, Rules, Agents, JsonOutput, Timeout, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var p = ctx.Parse;
            var template = ReviewTemplates.Get(p.GetValue(Template)!);
            var scope = new List<string>();
            foreach (var path in p.GetValue(Paths) ?? [])
            {
                var full = Path.GetFullPath(path);
                if (!File.Exists(full) && !Directory.Exists(full))
                    throw new OrchestraException($"'{path}' does not exist: give files or directories inside the workspace.", ErrorKind.NotFound);
                var relative = Path.GetRelativePath(ctx.Workspace.Root, full);
                if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                    throw new OrchestraException($"'{path}' is outside the workspace {ctx.Workspace.Root}: review files inside it.");
                scope.Add(relative.Replace('\\', '/'));
            }
            string? rules = null;
            if (p.GetValue(Rules) is { } rulesPath)
            {
                if (!File.Exists(rulesPath))
                    throw new OrchestraException($"the rules file '{rulesPath}' does not exist.", ErrorKind.NotFound);
                rules = await File.ReadAllTextAsync(rulesPath, ct);
            }
            var agents = (p.GetValue(Agents) ?? "reviewer").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            if (agents.Count == 0)
                throw new OrchestraException("--agents names no agent: give one or more, e.g. --agents claude,assistant.");
            var cassette = CassetteOptions.Apply(ctx);
            foreach (var agent in agents)
            {
                if (!ctx.Workspace.Agents.Contains(agent))
                    throw new OrchestraException(ctx.Workspace.Agents.UnknownMessage(agent), ErrorKind.NotFound);
            }
            var timeout = p.GetValue(Timeout) is { } t ? Durations.Parse(t, "--timeout") : (TimeSpan?)null;
            var prompt = ReviewTemplates.Prompt(template, scope, rules);
            var submission = await ctx.Engine.SubmitAsync(new RunSpec
            {
                Kind = RunKinds.Review,
                Name = template.Name,
                Steps = agents.Select(a => new StepSpec
                {
                    Agent = a,
                    Prompt = prompt,
                    Timeout = timeout,
                    MaxAttempts = ctx.Workspace.DefaultMaxAttempts,
                    Input = new JsonObject { ["read_only"] = true, ["review"] = template.Name },
                }).ToList(),
            }, ct);
            ctx.Error.WriteLine($"review {submission.Run.Id}: {template.Name} by {string.Join(", ", agents)}");
            using (var worker = new Worker(ctx.Engine, new WorkerOptions
            {
                Parallelism = agents.Count,
                UntilIdle = true,
                RunId = submission.Run.Id,
                PollInterval = ctx.Workspace.Config.PollInterval,
                WorkerId = WorkerIdentity.ForCurrentProcess(),
            }))
            {
                await worker.RunAsync(ct);
            }
            if (ct.IsCancellationRequested)
                return 130;
            CassetteOptions.Report(ctx, cassette);
            return await ReportAsync(ctx, submission.Run.Id, p.GetValue(JsonOutput), write: true, ct);
        });
        return command;
    }

    public static Command CreateFindings()
    {
        var command = new Command("findings", "Show the findings of a review run (default: the latest), compared across reviewers.") { Run, JsonOutput };
        command.SetAction(async (ctx, ct) =>
        {
            string runId;
            if (ctx.Parse.GetValue(Run) is { } id)
                runId = await ctx.ResolveIdAsync(id, ct);
            else
            {
                var latest = (await ctx.Store.ListRunsAsync(500, ct)).FirstOrDefault(r => r.Kind == RunKinds.Review)
                    ?? throw new OrchestraException("there is no review yet: run 'orchestra review' first.", ErrorKind.NotFound);
                runId = latest.Id;
            }
            return await ReportAsync(ctx, runId, ctx.Parse.GetValue(JsonOutput), write: false, ct);
        });
        return command;
    }

    /// <summary>Reads every reviewer's answer from the store, compares them and prints the report; also writes it under .orchestra/reviews/.</summary>
    private static async Task<int> ReportAsync(CliContext ctx, string runId, bool json, bool write, CancellationToken ct)
    {
        var run = await ctx.Store.GetRunAsync(runId, ct) ?? throw new OrchestraException($"run {runId} does not exist.", ErrorKind.NotFound);
        if (run.Kind != RunKinds.Review)
            throw new OrchestraException($"run {runId} is a {run.Kind}, not a review: see 'orchestra status {runId}'.");
        var steps = await ctx.Store.ListStepsAsync(new StepQuery { RunId = runId }, ct);
        var answers = steps.Select(s => s.Status == StepStatus.Succeeded
                ? Findings.Parse(s.Agent, s.Id, s.Output)
                : new ReviewAnswer(s.Agent, s.Id, null, [], $"the review step {s.Status.ToWire()}: {s.Error ?? "no answer"}"))
            .ToList();
        var groups = Findings.Compare(answers);
        var document = Findings.ToJson(runId, run.Name, answers, groups);
        var markdown = Findings.ToMarkdown(runId, run.Name, answers, groups);
        if (write)
        {
            var dir = Path.Combine(ctx.Workspace.StateDir, "reviews");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, runId + ".json"), document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n", ct);
            await File.WriteAllTextAsync(Path.Combine(dir, runId + ".md"), markdown, ct);
            ctx.Error.WriteLine($"report: .orchestra/reviews/{runId}.md and .json");
        }
        if (json)
            Json.Write(ctx.Out, document);
        else
            ctx.Out.Write(markdown);
        return answers.All(a => a.Problem is null) ? ExitCodes.Success : ExitCodes.WorkFailed;
    }
}
