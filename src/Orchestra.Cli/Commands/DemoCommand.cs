using System.CommandLine;
using System.Reflection;
using Orchestra.Agents.Llm;
using Orchestra.Cli.Rendering;
using Orchestra.Core.Storage;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra demo</c>: a multi-agent plan, offline, in a fresh workspace.</summary>
internal static class DemoCommand
{
    private static readonly Option<string?> Dir = new("--dir") { Description = "Workspace to create (default: a new temporary directory)." };
    private static readonly Option<int> Parallel = new("--parallel", "-p") { Description = "Steps at once.", DefaultValueFactory = _ => 4 };
    private static readonly Option<bool> Live = new("--live") { Description = "Call the reviewer's provider for real (needs OPENAI_API_KEY) instead of replaying reviewer.cassette." };

    /// <summary>The recorded exchange of the demo's OpenAI reviewer, replayed so that the demo needs no key or network.</summary>
    private const string CassetteFile = "reviewer.cassette";

    public static Command Create()
    {
        var command = new Command("demo", "Run the example release plan (planner, coders, a flaky tester, an OpenAI reviewer, a real process) offline.")
        {
            Dir, Parallel, Live, CassetteOptions.Record,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var root = ctx.Parse.GetValue(Dir) is { } dir
                ? Path.GetFullPath(dir)
                : Path.Combine(Path.GetTempPath(), $"orchestra-demo-{Guid.NewGuid().ToString("N")[..8]}");
            Directory.CreateDirectory(root);
            WorkspaceTemplate.Apply(root);
            var assembly = Assembly.GetExecutingAssembly();
            foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("demo/", StringComparison.Ordinal)))
            {
                var target = Path.Combine(root, name["demo/".Length..].Replace("agents/", ".orchestra/agents/", StringComparison.Ordinal));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using var source = assembly.GetManifestResourceStream(name)!;
                await using var file = File.Create(target);
                await source.CopyToAsync(file, ct);
            }
            var workspace = OrchestraWorkspace.At(root);
            ctx.UseWorkspace(workspace);
            Cassette? cassette;
            if (ctx.Parse.GetValue(CassetteOptions.Record) is not null)
                cassette = CassetteOptions.Apply(ctx);
            else
            {
                cassette = ctx.Parse.GetValue(Live) ? null : Cassette.OpenForReplay(Path.Combine(root, CassetteFile));
                workspace.UseCassette(cassette);
            }
            ctx.Out.WriteLine($"workspace {root}");
            var spec = PlanLoader.Load(Path.Combine(root, "plan.yaml"), workspace);
            var submission = await ctx.Engine.SubmitAsync(spec, ct);
            ctx.Out.WriteLine($"submitted run {submission.Run.Id} ({submission.Steps.Count} tasks)");
            var code = await RunCommand.ExecuteAsync(ctx, untilIdle: true, ctx.Parse.GetValue(Parallel), quiet: false, ct);
            var steps = await ctx.Store.ListStepsAsync(new StepQuery { RunId = submission.Run.Id }, ct);
            ctx.WriteTable(steps);
            var run = await ctx.Store.GetRunAsync(submission.Run.Id, ct);
            CassetteOptions.Report(ctx, cassette);
            ctx.Out.WriteLine($"run {run!.Id} {run.Status.ToString().ToLowerInvariant()}; explore it with: cd {root} && orchestra status {run.Id}");
            return code;
        });
        return command;
    }
}
