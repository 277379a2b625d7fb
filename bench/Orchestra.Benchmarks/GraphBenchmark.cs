using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;

namespace Orchestra.Benchmarks;

/// <summary>One graph measured on one side in one mode: wall times of the measured runs, in milliseconds.</summary>
internal sealed record GraphResult(string Side, string Graph, string Mode, int Steps, List<double> Runs)
{
    public double MedianMs => Options.Median([.. Runs]);

    /// <summary>The per-step overhead: median wall time of a whole run divided by its node runs.</summary>
    public double PerStepUs => MedianMs * 1000 / Steps;
}

/// <summary>
/// The graph benchmark: a 10-node chain, a 50-way fan-out with a join and a 100-iteration loop, run to the end
/// with in-process no-op nodes, in memory (<see cref="InMemoryStore"/>) and durable (<see cref="SqliteStore"/>).
/// Each run is timed from <see cref="OrchestraEngine.StartGraphAsync"/> until a <see cref="Worker"/> for the run
/// finds it idle; the median of the measured runs after warm-up is reported. With <c>--langgraph</c> the same
/// graphs run in LangGraph.js (bench/langgraph/bench.mjs) and a table gives the ratios.
/// </summary>
internal static class GraphBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = Math.Max(1, Options.Int(args, "--runs", 20));
        var warmup = Math.Max(0, Options.Int(args, "--warmup", 5));
        var parallel = Options.Int(args, "--parallel", GraphShapes.FanWidth);
        var synchronous = (Options.Text(args, "--synchronous") ?? "normal").ToLowerInvariant();
        if (synchronous is not ("normal" or "full"))
        {
            Console.Error.WriteLine($"--synchronous must be normal or full, not '{synchronous}'.");
            return 2;
        }
        LangGraphRunner? langGraph = null;
        if (args.Contains("--langgraph"))
        {
            // Checked first: a missing install fails at once rather than after the Orchestra half.
            langGraph = LangGraphRunner.Locate(Options.Text(args, "--langgraph-dir"), Options.Text(args, "--node") ?? "node", out var problem);
            if (langGraph is null)
            {
                Console.Error.WriteLine(problem);
                return 3;
            }
        }

        Console.WriteLine($"graph benchmark: chain of {GraphShapes.ChainLength}, fan-out of {GraphShapes.FanWidth} with a join, loop of {GraphShapes.Loops}; " +
                          $"median of {runs} runs after {warmup} warm-up runs; worker parallelism {parallel}; SQLite synchronous={synchronous}");
        var results = new List<GraphResult>();
        results.AddRange(await MeasureAsync("memory", () => new InMemoryStore(), runs, warmup, parallel));
        var dir = Directory.CreateTempSubdirectory("orchestra-graph-bench-");
        try
        {
            var options = new SqliteStoreOptions { Synchronous = synchronous == "full" ? SqliteSynchronous.Full : SqliteSynchronous.Normal };
            var files = 0;
            results.AddRange(await MeasureAsync("sqlite", () => SqliteStore.Open(Path.Combine(dir.FullName, $"orchestra-{files++}.db"), options), runs, warmup, parallel));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        PrintSide("orchestra", results);

        if (langGraph is null)
            return 0;
        Console.WriteLine();
        Console.WriteLine($"running: {langGraph.Describe(runs, warmup, synchronous)}");
        var (peer, info) = await langGraph.RunAsync(runs, warmup, synchronous);
        if (peer is null)
        {
            Console.Error.WriteLine(info);
            return 1;
        }
        Console.WriteLine($"  {info}");
        PrintSide("langgraph", peer);
        Console.WriteLine();
        Comparison.Print(results, peer);
        return 0;
    }

    private static async Task<List<GraphResult>> MeasureAsync(string mode, Func<IStore> openStore, int runs, int warmup, int parallel)
    {
        var results = new List<GraphResult>();
        var shapes = new GraphShapes();
        foreach (var shape in shapes.All)
        {
            // A store per graph, reused by all its runs, as the LangGraph side uses a file per graph.
            var store = openStore();
            try
            {
                var engine = new OrchestraEngine(store, new AgentRegistry(), graphs: new GraphCatalog().Register(shape.Definition));
                var times = new List<double>(runs);
                for (var r = 0; r < warmup + runs; r++)
                {
                    var elapsed = await RunOnceAsync(engine, shape, shapes, parallel);
                    if (r >= warmup)
                        times.Add(elapsed);
                }
                results.Add(new GraphResult("orchestra", shape.Name, mode, shape.Steps, times));
            }
            finally
            {
                if (store is IAsyncDisposable disposable)
                    await disposable.DisposeAsync();
            }
        }
        return results;
    }

    /// <summary>Runs a graph to the end; the wall time in milliseconds. Checks the outcome outside the timing.</summary>
    private static async Task<double> RunOnceAsync(OrchestraEngine engine, GraphShape shape, GraphShapes shapes, int parallel)
    {
        shapes.TakeExecuted();
        var start = Stopwatch.GetTimestamp();
        var submission = await engine.StartGraphAsync(shape.Name, shape.Input());
        using (var worker = new Worker(engine, new WorkerOptions { Parallelism = parallel, UntilIdle = true, RunId = submission.Run.Id }))
            await worker.RunAsync();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

        var run = await engine.Store.GetRunAsync(submission.Run.Id) ?? throw new InvalidOperationException("the run is missing");
        var executed = shapes.TakeExecuted();
        var steps = await engine.Store.ListStepsAsync(new StepQuery { RunId = run.Id });
        if (run.Status != RunStatus.Completed || executed != shape.Steps || steps.Count != shape.Steps || !shape.Check(run.State))
            throw new InvalidOperationException($"{shape.Name}: expected a completed run of {shape.Steps} steps, got {run.Status} after {executed} node runs and {steps.Count} steps ({run.Error}), state {run.State.ToJsonString()}");
        return elapsed;
    }

    private static void PrintSide(string side, List<GraphResult> results)
    {
        Console.WriteLine($"{side}:");
        Console.WriteLine($"  {"graph",-7} {"mode",-13} {"steps",5} {"median ms",10} {"µs/step",9}   runs ms (min … max)");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Graph,-7} {r.Mode,-13} {r.Steps,5} {r.MedianMs,10:0.000} {r.PerStepUs,9:0.0}   {r.Runs.Min():0.000} … {r.Runs.Max():0.000}"));
        }
    }
}
