using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Orchestra.Benchmarks;

/// <summary>
/// Cold <c>orchestra compile</c> of a generated 50-node pipeline (fan-outs, joins, a conditional loop, prompt layer
/// files and templates): each run is a new process, as a user types it.
/// </summary>
internal static class CompileBenchmark
{
    public static int Run(string[] args)
    {
        var orchestra = Options.Text(args, "--orchestra") ?? throw new ArgumentException("--orchestra PATH (a published orchestra executable) is required");
        var runs = Options.Int(args, "--runs", 20);
        var stages = Options.Int(args, "--stages", 7);
        var width = Options.Int(args, "--width", 6);
        var dir = Directory.CreateTempSubdirectory("orchestra-compile-bench-");
        try
        {
            var nodes = Generate(dir.FullName, stages, width);
            var path = Path.Combine(dir.FullName, "pipeline.yaml");
            Compile(orchestra, dir.FullName, path);
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var sw = Stopwatch.StartNew();
                Compile(orchestra, dir.FullName, path);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"orchestra compile, {nodes} nodes, cold ({runs} runs, median / p90): {Options.Median(times):0.0} ms / {Options.Percentile(times, 0.9):0.0} ms"));
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Writes a pipeline of hubs h0..h{stages}, each fanning out to <paramref name="width"/> workers that join into the next hub.</summary>
    private static int Generate(string dir, int stages, int width)
    {
        Directory.CreateDirectory(Path.Combine(dir, "roles"));
        File.WriteAllText(Path.Combine(dir, "roles", "worker.md"), "You do one part of the work, carefully and briefly.\n");
        File.WriteAllText(Path.Combine(dir, "roles", "hub.md"), "You merge the parts into one answer.\n");
        var yaml = new StringBuilder();
        yaml.AppendLine("name: bench-50").AppendLine("inputs:").AppendLine("  topic: { default: durability }");
        yaml.AppendLine("state:").AppendLine("  notes: { type: list, reducer: append, default: [] }");
        yaml.AppendLine("agents:");
        var nodes = 0;
        for (var k = 0; k <= stages; k++)
        {
            var previous = k == 0 ? "{{ topic }}" : $"{{{{json outputs.h{k - 1}}}}}";
            yaml.Append(CultureInfo.InvariantCulture, $"  h{k}: {{ kind: scripted, role: roles/hub, task: {{ text: \"Merge stage {k} of {{{{ topic }}}} after {previous}\" }} }}\n");
            nodes++;
            if (k == stages)
                break;
            for (var j = 0; j < width; j++)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"  w{k}-{j}: {{ kind: scripted, role: roles/worker, task: {{ text: \"Part {j} of {{{{ outputs.h{k} }}}} for {{{{ inputs.topic }}}}\" }} }}\n");
                nodes++;
            }
        }
        yaml.AppendLine("graph:").AppendLine("  edges:").AppendLine("    - { from: START, to: h0 }");
        for (var k = 0; k < stages; k++)
        {
            var workers = string.Join(", ", Enumerable.Range(0, width).Select(j => $"w{k}-{j}"));
            yaml.Append(CultureInfo.InvariantCulture, $"    - {{ from: h{k}, to: [{workers}] }}\n");
            yaml.Append(CultureInfo.InvariantCulture, $"    - {{ from: [{workers}], to: h{k + 1}, join: all }}\n");
        }
        yaml.Append(CultureInfo.InvariantCulture, $"    - {{ from: h{stages}, to: h0, condition: outputs.h{stages}.verdict == \"again\", max_loops: 2, fallback: END }}\n");
        yaml.Append(CultureInfo.InvariantCulture, $"    - {{ from: h{stages}, to: END, condition: outputs.h{stages}.verdict != \"again\" }}\n");
        yaml.AppendLine("defaults:").AppendLine("  retry: { max_attempts: 2 }").AppendLine("  timeout: 5m");
        File.WriteAllText(Path.Combine(dir, "pipeline.yaml"), yaml.ToString());
        return nodes;
    }

    private static void Compile(string exe, string cwd, string path)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("compile");
        psi.ArgumentList.Add(path);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0 || stderr.Result.Length > 0)
            throw new InvalidOperationException($"orchestra compile exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
    }
}
