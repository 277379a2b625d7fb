using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Orchestra.Benchmarks;

/// <summary>
/// Cold command latency: each run is a new process, as a user types it. Fills a workspace with N steps
/// (through the engine, then executed), then times 'orchestra status' and 'orchestra start'.
/// </summary>
internal static class CliBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var orchestra = Options.Text(args, "--orchestra") ?? throw new ArgumentException("--orchestra PATH (a published orchestra executable) is required");
        var steps = Options.Int(args, "--steps", 10_000);
        var runs = Options.Int(args, "--runs", 20);
        var dir = Directory.CreateTempSubdirectory("orchestra-cli-bench-");
        try
        {
            Run(orchestra, dir.FullName, "init");
            var plan = new StringBuilder("tasks:\n");
            for (var i = 0; i < steps; i++)
                plan.Append(CultureInfo.InvariantCulture, $"  - {{ id: t{i}, agent: reviewer, prompt: p }}\n");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "plan.yaml"), plan.ToString());
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, ".orchestra", "agents", "noop.yaml"), "kind: scripted\n");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, ".orchestra", "agents", "reviewer.yaml"), "kind: scripted\n");
            Run(orchestra, dir.FullName, "submit", "plan.yaml");
            Run(orchestra, dir.FullName, "run", "--until-idle", "--quiet", "--parallel", "8");
            Console.WriteLine($"cold command latency ({runs} runs each, {steps} steps in the store, median / p90):");
            foreach (var command in new[] { new[] { "status" }, new[] { "start", "noop", "hello" }, new[] { "--version" } })
            {
                Run(orchestra, dir.FullName, command);
                var times = new List<double>();
                for (var i = 0; i < runs; i++)
                {
                    var sw = Stopwatch.StartNew();
                    Run(orchestra, dir.FullName, command);
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  orchestra {string.Join(' ', command),-22} {Options.Median(times),7:0.0} ms / {Options.Percentile(times, 0.9),7:0.0} ms"));
            }
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Run(string exe, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"orchestra {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
    }
}
