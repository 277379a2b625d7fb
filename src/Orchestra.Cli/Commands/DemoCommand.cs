using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Core;
using Orchestra.Core.Storage;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary>
/// <c>orchestra demo [pr-review|release-plan]</c>: an example, offline, in a fresh workspace. The default is the pr-review
/// pipeline over a small git repository holding a fixed change; its LLM agents are replayed from a recorded cassette.
/// </summary>
internal static class DemoCommand
{
    private static readonly Argument<string> Example = new("example")
    {
        Description = "Which example: pr-review (the pipeline, the default) or release-plan (a task plan).",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => PrReview,
    };
    private static readonly Option<string?> Dir = new("--dir") { Description = "Workspace to create (default: a new temporary directory)." };
    private static readonly Option<int> Parallel = new("--parallel", "-p") { Description = "Steps at once.", DefaultValueFactory = _ => 4 };
    private static readonly Option<bool> Live = new("--live") { Description = "Call the LLM provider for real (needs OPENAI_API_KEY) instead of replaying the recorded cassette." };

    private const string PrReview = "pr-review";
    private const string ReleasePlan = "release-plan";

    /// <summary>The recorded exchanges of the pr-review pipeline's OpenAI agents, against the fake provider.</summary>
    private const string PrReviewCassette = "pr-review.cassette";

    /// <summary>The recorded exchange of the release plan's OpenAI reviewer.</summary>
    private const string ReleasePlanCassette = "reviewer.cassette";

    public static Command Create()
    {
        Example.AcceptOnlyFromAmong(PrReview, ReleasePlan);
        var command = new Command("demo", "Run an example offline in a fresh workspace: the pr-review pipeline (security and architecture reviewers, a critic that loops, a synthesizer), or the release plan.")
        {
            Example, Dir, Parallel, Live, CassetteOptions.Record,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var example = ctx.Parse.GetValue(Example) ?? PrReview;
            var root = ctx.Parse.GetValue(Dir) is { } dir
                ? Path.GetFullPath(dir)
                : Path.Combine(Path.GetTempPath(), $"orchestra-demo-{Guid.NewGuid().ToString("N")[..8]}");
            Directory.CreateDirectory(root);
            WorkspaceTemplate.Apply(root);
            var workspace = OrchestraWorkspace.At(root);
            ctx.UseWorkspace(workspace);
            return example == ReleasePlan
                ? await ReleasePlanAsync(ctx, root, workspace, ct)
                : await PrReviewAsync(ctx, root, workspace, ct);
        });
        return command;
    }

    /// <summary>The cassette to replay (none with --live), or the one --record asked for.</summary>
    private static Cassette? OpenCassette(CliContext ctx, OrchestraWorkspace workspace, string replay)
    {
        if (ctx.Parse.GetValue(CassetteOptions.Record) is not null)
            return CassetteOptions.Apply(ctx);
        var cassette = ctx.Parse.GetValue(Live) ? null : Cassette.OpenForReplay(replay);
        workspace.UseCassette(cassette);
        return cassette;
    }

    private static async Task<int> PrReviewAsync(CliContext ctx, string root, OrchestraWorkspace workspace, CancellationToken ct)
    {
        var folder = Path.Combine(root, PrReview);
        await ExtractAsync($"{PrReview}/", folder, ct);
        CreateRepository(root);
        ctx.Out.WriteLine($"workspace {root} (a git repository whose branch 'feature' changes src/Accounts.cs)");
        var (code, runId) = await PipelineRun.RunAsync(
            ctx,
            Path.Combine(folder, "pipeline.yaml"),
            () => new Dictionary<string, JsonNode?> { ["base"] = "main", ["output"] = "review.md" },
            () => OpenCassette(ctx, workspace, Path.Combine(folder, PrReviewCassette)),
            ctx.Parse.GetValue(Parallel),
            quiet: false,
            ct);
        var review = Path.Combine(root, "review.md");
        if (File.Exists(review))
        {
            ctx.Out.WriteLine();
            ctx.Out.WriteLine($"--- {review}");
            ctx.Out.Write(await File.ReadAllTextAsync(review, ct));
            ctx.Out.WriteLine("---");
        }
        if (runId is not null)
            ctx.Out.WriteLine($"explore it with: cd {root} && orchestra status {runId}");
        return code;
    }

    private static async Task<int> ReleasePlanAsync(CliContext ctx, string root, OrchestraWorkspace workspace, CancellationToken ct)
    {
        await ExtractAsync("demo/", root, ct);
        var cassette = OpenCassette(ctx, workspace, Path.Combine(root, ReleasePlanCassette));
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
    }

    /// <summary>Writes the embedded files under <paramref name="prefix"/> into <paramref name="target"/>.</summary>
    private static async Task ExtractAsync(string prefix, string target, CancellationToken ct)
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var relative = name[prefix.Length..];
            if (prefix == "demo/")
                relative = relative.Replace("agents/", ".orchestra/agents/", StringComparison.Ordinal);
            var path = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var source = assembly.GetManifestResourceStream(name)!;
            await using var file = File.Create(path);
            await source.CopyToAsync(file, ct);
        }
    }

    private const string BaseFile = """
        namespace Shop;

        public sealed class Accounts(IDatabase db)
        {
            public Account? Find(int id) =>
                db.QuerySingle<Account>("SELECT * FROM accounts WHERE id = @id", new { id });
        }

        """;

    private const string ChangedFile = """
        namespace Shop;

        public sealed class Accounts(IDatabase db, ILogger log)
        {
            public Account? Find(int id) =>
                db.QuerySingle<Account>("SELECT * FROM accounts WHERE id = @id", new { id });

            public Account? FindByEmail(string email)
            {
                log.Info($"looking up {email}");
                return db.QuerySingle<Account>("SELECT * FROM accounts WHERE email = '" + email + "'");
            }

            public void ResetPassword(string email, string password)
            {
                var account = FindByEmail(email) ?? throw new InvalidOperationException("no such account");
                log.Info($"reset password of {email} to {password}");
                db.Execute("UPDATE accounts SET password = @password WHERE id = @id", new { password, account.Id });
            }
        }

        """;

    /// <summary>
    /// Makes the workspace a git repository: 'main' with src/Accounts.cs, then a branch 'feature' (checked out) changing
    /// it. Contents and settings are fixed so that 'git diff main...HEAD', and with it every LLM request, is the same on
    /// any machine; the user's git settings that change a diff's text are overridden in the repository.
    /// </summary>
    private static void CreateRepository(string root)
    {
        Git(root, "init", "--quiet", "--initial-branch=main");
        foreach (var (key, value) in new[]
        {
            ("user.name", "Orchestra Demo"), ("user.email", "demo@orchestra.invalid"), ("commit.gpgsign", "false"),
            ("core.abbrev", "12"), ("core.autocrlf", "false"), ("diff.noprefix", "false"), ("diff.mnemonicPrefix", "false"),
            ("diff.relative", "false"), ("diff.algorithm", "myers"), ("diff.renames", "true"), ("diff.context", "3"),
            ("diff.interHunkContext", "0"), ("diff.suppressBlankEmpty", "false"),
        })
        {
            Git(root, "config", key, value);
        }
        var source = Path.Combine(root, "src", "Accounts.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllText(source, BaseFile.ReplaceLineEndings("\n"));
        Git(root, "add", "src/Accounts.cs");
        Git(root, "commit", "--quiet", "--no-verify", "-m", "Accounts: find by id");
        Git(root, "checkout", "--quiet", "-b", "feature");
        File.WriteAllText(source, ChangedFile.ReplaceLineEndings("\n"));
        Git(root, "commit", "--quiet", "--no-verify", "-am", "Accounts: find by email, reset password");
    }

    private static void Git(string root, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new OrchestraException($"the demo needs git to create its repository, but git could not be started ({ex.Message}): install git.", ErrorKind.Environment);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new OrchestraException($"git {string.Join(' ', args)} failed in {root}: {stderr.Result.Trim().ReplaceLineEndings(" ")}", ErrorKind.Environment);
        }
    }
}
