using System.Diagnostics;
using System.Globalization;
using Orchestra.Agents.Scripted;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;

namespace Orchestra.Benchmarks;

/// <summary>
/// The whole system on a durable SQLite file: N independent no-op scripted steps, executed by one
/// worker with P in parallel. Reports steps per second end to end, and the engine's overhead per step
/// measured with one step at a time (claim, invoke, checkpoint).
/// </summary>
internal static class SystemBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var steps = Options.Int(args, "--steps", 10_000);
        var parallel = Options.Int(args, "--parallel", 8);
        var serialSteps = Options.Int(args, "--serial-steps", 2_000);

        Console.WriteLine($"system benchmark: {steps} no-op scripted steps, {parallel} in parallel, durable SQLite (WAL)");
        var (rate, wall) = await ThroughputAsync(steps, parallel);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  throughput: {rate:0} steps/s ({wall.TotalSeconds:0.00}s for {steps})"));

        var latencies = await SerialOverheadAsync(serialSteps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  engine overhead per step (one at a time, {serialSteps} steps): median {Options.Median(latencies):0.000} ms, p99 {Options.Percentile(latencies, 0.99):0.000} ms"));
        return 0;
    }

    private static async Task<(double Rate, TimeSpan Wall)> ThroughputAsync(int steps, int parallel)
    {
        var dir = Directory.CreateTempSubdirectory("orchestra-bench-");
        try
        {
            await using var store = SqliteStore.Open(Path.Combine(dir.FullName, "orchestra.db"));
            var engine = new OrchestraEngine(store, new AgentRegistry([new ScriptedAgent("noop", new ScriptedOptions())]));
            const int batch = 1000;
            for (var i = 0; i < steps; i += batch)
            {
                var specs = Enumerable.Range(i, Math.Min(batch, steps - i)).Select(n => new StepSpec { Name = $"t{n}", Agent = "noop", Prompt = "x" }).ToList();
                await engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Name = "bench", Steps = specs });
            }
            using var worker = new Worker(engine, new WorkerOptions { Parallelism = parallel, UntilIdle = true });
            var sw = Stopwatch.StartNew();
            var summary = await worker.RunAsync();
            sw.Stop();
            var done = await store.SummarizeAsync();
            if (done[StepStatus.Succeeded] != steps || summary.Succeeded != steps)
                throw new InvalidOperationException($"expected {steps} succeeded steps, got {done[StepStatus.Succeeded]}");
            return (steps / sw.Elapsed.TotalSeconds, sw.Elapsed);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<List<double>> SerialOverheadAsync(int steps)
    {
        var dir = Directory.CreateTempSubdirectory("orchestra-bench-");
        try
        {
            await using var store = SqliteStore.Open(Path.Combine(dir.FullName, "orchestra.db"));
            var engine = new OrchestraEngine(store, new AgentRegistry([new ScriptedAgent("noop", new ScriptedOptions())]));
            await engine.SubmitAsync(new RunSpec
            {
                Kind = RunKinds.Plan,
                Steps = Enumerable.Range(0, steps).Select(n => new StepSpec { Name = $"t{n}", Agent = "noop", Prompt = "x" }).ToList(),
            });
            var agent = engine.FindAgent("noop")!;
            var latencies = new List<double>(steps);
            for (var i = 0; i < steps; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var claimed = await engine.ClaimAsync("bench", 1);
                var step = claimed[0];
                var result = await agent.InvokeAsync(new AgentContext(step, [], dir.FullName, TimeProvider.System));
                await engine.CompleteAsync(new Completion(step, result));
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            return latencies.Skip(steps / 10).ToList();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
