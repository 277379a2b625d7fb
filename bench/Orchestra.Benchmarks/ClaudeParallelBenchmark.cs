using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Agents;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.FakeProvider;
using Orchestra.Git;
using Orchestra.Storage.Sqlite;

namespace Orchestra.Benchmarks;

/// <summary>
/// N Claude Code steps at once, each in its own git worktree of one repository, against the fake provider: the real
/// <c>claude</c> CLI writes one file per step (a scripted <c>Write</c> tool call) and answers. Reports the wall time,
/// where each step's time goes (worktree, the CLI, commit, the rest), and checks that the steps did not interfere:
/// all succeeded, each wrote only its own file in its own worktree and committed only that, each had its own
/// <c>CLAUDE_CONFIG_DIR</c>, Claude Code session, process and events.
/// </summary>
internal static class ClaudeParallelBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var steps = Options.Int(args, "--steps", 8);
        var parallel = Options.Int(args, "--parallel", steps);
        var files = Options.Int(args, "--files", 1_000);
        var claude = Options.Text(args, "--claude") ?? FindClaude();
        if (claude is null)
        {
            Console.Error.WriteLine("the claude CLI was not found: run `npm install --prefix .tools/npm @anthropic-ai/claude-code@2.1.197` in the repository, or pass --claude PATH");
            return 3;
        }

        var dir = Directory.CreateTempSubdirectory("orchestra-bench-claude-");
        var root = Path.Combine(dir.FullName, "repo");
        var home = Directory.CreateDirectory(Path.Combine(dir.FullName, "home")).FullName;
        var gitConfig = Path.Combine(dir.FullName, "empty.gitconfig");
        File.WriteAllText(gitConfig, "");
        var git = new GitCli("git", new Dictionary<string, string> { ["GIT_CONFIG_GLOBAL"] = gitConfig, ["GIT_CONFIG_NOSYSTEM"] = "1" });
        await using var server = await FakeProviderServer.StartAsync();
        try
        {
            Console.WriteLine($"claude-parallel benchmark: {steps} claude-code steps, {parallel} at once, each in its own worktree of a {files}-file repository, against the fake provider");
            Console.WriteLine($"  claude: {claude}");
            await CreateRepositoryAsync(git, root, files);

            var paths = new OrchestraPaths(root);
            var agent = new ClaudeCodeAgent("claude", new ClaudeCodeOptions
            {
                Executable = claude,
                Model = "claude-sonnet-4-5",
                Env = new Dictionary<string, string>
                {
                    ["ANTHROPIC_BASE_URL"] = server.AnthropicBaseUrl.ToString().TrimEnd('/'),
                    ["ANTHROPIC_API_KEY"] = "dummy",
                    ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                    ["CLAUDE_CODE_MAX_RETRIES"] = "0",
                    ["DISABLE_AUTOUPDATER"] = "1",
                    ["HOME"] = home,
                    ["CLAUDE_CONFIG_DIR"] = Path.Combine(home, ".claude"),
                },
                IdleTimeout = TimeSpan.FromMinutes(5),
                GracePeriod = TimeSpan.FromSeconds(5),
            }, paths);
            var gitWorkspace = new GitWorkspace(new GitWorkspaceOptions { Root = root, Git = git });
            var timed = new TimedStepWorkspace(new GitStepWorkspace(gitWorkspace));
            await using var store = SqliteStore.Open(Path.Combine(paths.StateDir, "orchestra.db"));
            var engine = new OrchestraEngine(store, new AgentRegistry([agent]), new EngineOptions { WorkDirectory = root, StepWorkspace = timed });

            var submission = await engine.SubmitAsync(new RunSpec
            {
                Kind = RunKinds.Plan,
                Name = "claude-parallel",
                Steps = Enumerable.Range(0, steps).Select(i => new StepSpec
                {
                    Name = $"writer{i}",
                    Agent = "claude",
                    Prompt = $"Please create the file step-{i}.txt",
                    Input = new JsonObject { [Isolation.InputKey] = "worktree" },
                }).ToList(),
            });
            var run = submission.Run.Id;
            var ids = submission.Steps.ToDictionary(s => s.Name, s => s.Id);
            for (var i = 0; i < steps; i++)
            {
                var file = $"step-{i}.txt";
                var worktree = gitWorkspace.StepFolder(run, ids[$"writer{i}"]);
                server.Enqueue(FakeReply.When(r => r.LastUserText.Contains(file, StringComparison.Ordinal) && r.ToolNames.Count > 0 && r.LastToolResultText is null) with
                {
                    ToolCalls = [new FakeToolCall("Write", new JsonObject { ["file_path"] = Path.Combine(worktree, file), ["content"] = $"written by step {i}\n" }.ToJsonString())],
                });
                server.Enqueue(FakeReply.When(r => r.LastToolResultText?.Contains(file, StringComparison.Ordinal) == true) with
                {
                    Text = $"I created {file}.",
                    Usage = new FakeUsage(1200, 30),
                });
            }

            // When each step starts and ends, and when its CLI started and answered, as the worker publishes them.
            var marks = new ConcurrentDictionary<(string Step, string What), long>();
            var events = new ConcurrentQueue<RunEvent>();
            using var subscription = engine.Events.Subscribe(e =>
            {
                var now = Stopwatch.GetTimestamp();
                if (e.StepId is null)
                    return;
                events.Enqueue(e);
                var what = e.Type == EventTypes.Agent ? (string?)e.Data?["kind"] : e.Type;
                if (what is "process.started" or "result" or EventTypes.StepStarted or EventTypes.StepFinished)
                    marks.TryAdd((e.StepId, what), now);
            });
            using var worker = new Worker(engine, new WorkerOptions { Parallelism = parallel, UntilIdle = true, PollInterval = TimeSpan.FromMilliseconds(20) });
            var (gitBefore, callsBefore) = (git.Elapsed, git.Calls);
            var wall = Stopwatch.StartNew();
            await worker.RunAsync();
            wall.Stop();
            var (gitTime, gitCalls) = (git.Elapsed - gitBefore, git.Calls - callsBefore);

            var problems = await CheckAsync(store, git, gitWorkspace, paths, run, ids, [.. events], root);
            var rows = submission.Steps.Select(s =>
            {
                double Ms(string from, string to) =>
                    marks.TryGetValue((s.Id, from), out var a) && marks.TryGetValue((s.Id, to), out var b) ? Stopwatch.GetElapsedTime(a, b).TotalMilliseconds : double.NaN;
                var total = Ms(EventTypes.StepStarted, EventTypes.StepFinished);
                var cli = Ms("process.started", "result");
                var prepare = timed.Prepare.GetValueOrDefault(s.Id);
                var commit = timed.Complete.GetValueOrDefault(s.Id);
                return (Total: total, Cli: cli, Prepare: prepare, Commit: commit, Other: total - cli - prepare - commit);
            }).ToList();
            var reported = events.Where(e => e.Type == EventTypes.Agent && (string?)e.Data?["kind"] == "result")
                .Select(e => double.TryParse(e.Data?["duration_ms"]?.ToJsonString(), CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToList();

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  wall time, {steps} steps with {parallel} at once: {wall.Elapsed.TotalSeconds:0.00} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  per step (medians): {Options.Median([.. rows.Select(r => r.Total)]):0} ms from start to finish; the CLI from spawn to its result {Options.Median([.. rows.Select(r => r.Cli)]):0} ms (its own duration_ms {Options.Median(reported):0} ms)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  beyond the CLI (medians): worktree {Options.Median([.. rows.Select(r => r.Prepare)]):0} ms (waiting included: worktrees of one repository are created one at a time), commit {Options.Median([.. rows.Select(r => r.Commit)]):0} ms, the rest {Options.Median([.. rows.Select(r => r.Other)]):0} ms (max {rows.Max(r => r.Other):0} ms): claim, config dir, spawn, the CLI's exit after its result, checkpoint"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  git's own work: {gitTime.TotalMilliseconds / steps:0} ms per step ({gitCalls / (double)steps:0.#} git processes per step)"));
            if (problems.Count > 0)
            {
                foreach (var p in problems)
                    Console.WriteLine("  INTERFERENCE: " + p);
                return 1;
            }
            Console.WriteLine($"  no interference: {steps} of {steps} succeeded; each wrote and committed only its own file in its own worktree; {steps} distinct CLAUDE_CONFIG_DIRs, Claude Code sessions and processes; every step's events name its own worktree and file");
            return 0;
        }
        finally
        {
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A CLI still exiting may hold a file; the temporary folder goes eventually.
            }
        }
    }

    /// <summary>Everything that shows one step touched another's work; empty when none did.</summary>
    private static async Task<List<string>> CheckAsync(
        SqliteStore store, GitCli git, GitWorkspace gitWorkspace, OrchestraPaths paths, string run, Dictionary<string, string> ids, List<RunEvent> events, string root)
    {
        var problems = new List<string>();
        var configDirs = new HashSet<string>(StringComparer.Ordinal);
        var sessions = new HashSet<string>(StringComparer.Ordinal);
        var pids = new HashSet<int>();
        foreach (var (name, id) in ids)
        {
            var i = name["writer".Length..];
            var file = $"step-{i}.txt";
            var worktree = gitWorkspace.StepFolder(run, id);
            var step = await store.GetStepAsync(id);
            if (step?.Status != StepStatus.Succeeded)
                problems.Add($"{name} {step?.Status.ToWire()}: {step?.Error}");
            if (step?.Output != $"I created {file}.")
                problems.Add($"{name} answered '{step?.Output}'");
            var written = Directory.EnumerateFiles(worktree, "step-*.txt").Select(Path.GetFileName).ToList();
            if (written.Count != 1 || written[0] != file)
                problems.Add($"{name}'s worktree holds [{string.Join(", ", written)}], not just {file}");
            var changed = (await git.CheckAsync(root, ["diff", "--name-only", GitNames.SessionBranch(run), GitNames.StepBranch(run, id)])).Trim();
            if (changed != file)
                problems.Add($"{name}'s branch changes [{changed.ReplaceLineEndings(", ")}], not just {file}");

            var own = events.Where(e => e.StepId == id && e.Type == EventTypes.Agent).Select(e => e.Data!).ToList();
            JsonObject? Kind(string kind) => own.FirstOrDefault(d => (string?)d["kind"] == kind);
            var configDir = (string?)Kind("process.started")?["config_dir"];
            if (configDir != paths.ClaudeConfigDir(id) || !configDirs.Add(configDir))
                problems.Add($"{name} ran with CLAUDE_CONFIG_DIR {configDir}");
            if ((int?)Kind("process.started")?["pid"] is not { } pid || !pids.Add(pid))
                problems.Add($"{name} shares its process");
            if ((string?)Kind("init")?["session_id"] is not { Length: > 0 } session || !sessions.Add(session))
                problems.Add($"{name} has no Claude Code session of its own");
            if ((string?)Kind("init")?["cwd"] != worktree)
                problems.Add($"{name}'s CLI ran in {(string?)Kind("init")?["cwd"]}, not its worktree");
            var call = (string?)Kind("tool_call")?["arguments"]?.ToJsonString() ?? "";
            if (!call.Contains(Path.Combine(worktree, file), StringComparison.Ordinal))
                problems.Add($"{name}'s tool call was {call}");
        }
        if (Directory.EnumerateFiles(root, "step-*.txt").Any())
            problems.Add("a step wrote into the repository's own working tree");
        return problems;
    }

    private static async Task CreateRepositoryAsync(GitCli git, string root, int files)
    {
        Directory.CreateDirectory(root);
        await git.CheckAsync(root, ["init", "--quiet", "--initial-branch=main"]);
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(root, "src", $"module{i / 100:000}");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"file{i:00000}.cs"), $"// file {i}\n");
        }
        await File.WriteAllTextAsync(Path.Combine(root, ".gitignore"), ".orchestra/\n");
        await git.CheckAsync(root, ["add", "-A"]);
        await git.CheckAsync(root, ["-c", "user.name=Bench", "-c", "user.email=bench@localhost", "commit", "--quiet", "-m", "initial"]);
    }

    /// <summary>The pinned CLI under the repository's <c>.tools/npm</c>, else <c>claude</c> on PATH, else null.</summary>
    private static string? FindClaude()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var pinned = Path.Combine(d.FullName, ".tools", "npm", "node_modules", ".bin", "claude");
            if (File.Exists(Path.Combine(d.FullName, "Orchestra.slnx")) && File.Exists(pinned))
                return pinned;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "claude")).FirstOrDefault(File.Exists);
    }

    /// <summary>Times the step workspace's two calls per step.</summary>
    private sealed class TimedStepWorkspace(IStepWorkspace inner) : IStepWorkspace
    {
        public ConcurrentDictionary<string, double> Prepare { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, double> Complete { get; } = new(StringComparer.Ordinal);

        public async ValueTask<string> PrepareAsync(StepRecord step, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            var directory = await inner.PrepareAsync(step, cancellationToken);
            Prepare[step.Id] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return directory;
        }

        public async ValueTask<JsonObject?> CompleteAsync(StepRecord step, AgentResult result, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            var snapshot = await inner.CompleteAsync(step, result, cancellationToken);
            Complete[step.Id] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return snapshot;
        }
    }
}
