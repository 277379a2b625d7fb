using System.Diagnostics;
using System.Globalization;
using Orchestra.Core.Model;
using Orchestra.Git;

namespace Orchestra.Benchmarks;

/// <summary>
/// Git isolation per step on a repository of N files: worktree create (session branch, step branch, checkout), a
/// file written, commit, three-way merge into the session branch and worktree removal. Reports the time per step,
/// the part spent waiting on git processes (git's own work, process start included) and the rest: Orchestra's
/// overhead.
/// </summary>
internal static class GitBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var files = Options.Int(args, "--files", 10_000);
        var steps = Options.Int(args, "--steps", 20);
        var warmup = Options.Int(args, "--warmup", 2);
        var dir = Directory.CreateTempSubdirectory("orchestra-bench-git-");
        var config = Path.Combine(dir.FullName, "empty.gitconfig");
        File.WriteAllText(config, "");
        var git = new GitCli("git", new Dictionary<string, string> { ["GIT_CONFIG_GLOBAL"] = config, ["GIT_CONFIG_NOSYSTEM"] = "1" });
        var root = Path.Combine(dir.FullName, "repo");
        try
        {
            Console.WriteLine($"git benchmark: a repository of {files} files, {steps} steps (after {warmup} warm-up steps), one run");
            var setup = Stopwatch.StartNew();
            await CreateRepositoryAsync(git, root, files);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  repository created in {setup.Elapsed.TotalSeconds:0.0}s"));

            var workspace = new GitWorkspace(new GitWorkspaceOptions { Root = root, Git = git });
            var run = Ids.NewRunId(TimeProvider.System);
            var totals = new List<double>();
            var gitTimes = new List<double>();
            var overheads = new List<double>();
            var (prepares, commits, merges) = (new List<double>(), new List<double>(), new List<double>());
            long calls = 0;
            for (var i = 0; i < warmup + steps; i++)
            {
                var step = new StepRef(run, Ids.NewStepId(TimeProvider.System), $"step{i}", "bench");
                var gitBefore = git.Elapsed;
                var callsBefore = git.Calls;
                var start = Stopwatch.GetTimestamp();

                var worktree = await workspace.PrepareAsync(step);
                var prepared = Stopwatch.GetTimestamp();
                await File.WriteAllTextAsync(Path.Combine(worktree.WorkDirectory, $"step-{i}.txt"), $"written by step {i}\n");
                var written = Stopwatch.GetTimestamp();
                await workspace.CommitAsync(step);
                var committed = Stopwatch.GetTimestamp();
                var merge = await workspace.MergeAsync(step);

                var total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (merge.Status != MergeStatus.Merged)
                    throw new InvalidOperationException($"step {i} did not merge: {merge.Status}");
                if (i < warmup)
                    continue;
                var inGit = (git.Elapsed - gitBefore).TotalMilliseconds;
                totals.Add(total);
                prepares.Add(Stopwatch.GetElapsedTime(start, prepared).TotalMilliseconds);
                commits.Add(Stopwatch.GetElapsedTime(written, committed).TotalMilliseconds);
                merges.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                gitTimes.Add(inGit);
                overheads.Add(total - inGit);
                calls += git.Calls - callsBefore;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  per step (create + commit + merge + remove): median {Options.Median(totals):0.0} ms, p90 {Options.Percentile(totals, 0.9):0.0} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    worktree create {Options.Median(prepares):0.0} ms, commit {Options.Median(commits):0.0} ms, merge + worktree removal {Options.Median(merges):0.0} ms (medians)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  git's own work (waiting on {calls / (double)steps:0.#} git processes per step): median {Options.Median(gitTimes):0.0} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  Orchestra's overhead beyond git: median {Options.Median(overheads):0.00} ms, p90 {Options.Percentile(overheads, 0.9):0.00} ms, max {overheads.Max():0.00} ms"));
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task CreateRepositoryAsync(GitCli git, string root, int files)
    {
        Directory.CreateDirectory(root);
        await git.CheckAsync(root, ["init", "--quiet", "--initial-branch=main"]);
        const int perFolder = 100;
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(root, "src", $"module{i / perFolder:000}");
            if (i % perFolder == 0)
                Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"file{i:00000}.cs"), $"// file {i}\nnamespace Module{i / perFolder};\n\ninternal static class File{i} {{ }}\n");
        }
        await File.WriteAllTextAsync(Path.Combine(root, ".gitignore"), ".orchestra/\n");
        await git.CheckAsync(root, ["add", "-A"]);
        await git.CheckAsync(root, ["-c", "user.name=Bench", "-c", "user.email=bench@localhost", "commit", "--quiet", "-m", "initial"]);
    }
}
