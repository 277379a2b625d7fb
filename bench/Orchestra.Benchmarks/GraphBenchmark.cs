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
    /// <summary>Bytes allocated per step over the measured runs (Orchestra only; 0 when unknown).</summary>
    public double AllocatedPerStep { get; init; }

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
        var runs = Math.Max(1, Options.Int(args, "--runs", 30));
        var warmup = Math.Max(0, Options.Int(args, "--warmup", 50));
        // Warm-up also lasts a minimum time: the runtime recompiles hot code with full optimization only after it has run
        // for a while, and a fast graph's 50 warm-up runs take a few milliseconds.
        var warmupMs = Math.Max(0, Options.Int(args, "--warmup-ms", 2000));
        var rounds = Math.Max(1, Options.Int(args, "--rounds", 3));
        var parallel = Options.Int(args, "--parallel", GraphShapes.FanWidth);
        var profile = args.Contains("--profile");
        var graphs = (Options.Text(args, "--graphs") ?? "chain,fanout,loop").Split(',');
        var modes = (Options.Text(args, "--modes") ?? "memory,sqlite").Split(',');
        if (graphs.FirstOrDefault(g => g is not ("chain" or "fanout" or "loop")) is { } badGraph)
        {
            Console.Error.WriteLine($"unknown graph '{badGraph}' in --graphs: use chain, fanout or loop.");
            return 2;
        }
        if (modes.FirstOrDefault(m => m is not ("memory" or "sqlite")) is { } badMode)
        {
            Console.Error.WriteLine($"unknown mode '{badMode}' in --modes: use memory or sqlite.");
            return 2;
        }
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
                          $"{rounds} round(s) of {runs} timed runs after at least {warmup} warm-up runs and {warmupMs} ms per graph, median of all timed runs; " +
                          $"worker parallelism {parallel}; SQLite synchronous={synchronous}");
        if (langGraph is not null)
            Console.WriteLine($"LangGraph.js: {langGraph.Describe(runs, warmup, warmupMs, synchronous, graphs, modes)} (once per round)");
        var results = new List<GraphResult>();
        var peer = new List<GraphResult>();
        string? info = null;
        for (var round = 1; round <= rounds; round++)
        {
            // Rounds alternate the two sides, so that a slow spell of the machine falls on both.
            results.AddRange(await MeasureOrchestraAsync(modes, graphs, runs, warmup, warmupMs, parallel, synchronous, profile));
            if (langGraph is null)
                continue;
            var (measured, message) = await langGraph.RunAsync(runs, warmup, warmupMs, synchronous, graphs, modes);
            if (measured is null)
            {
                Console.Error.WriteLine(message);
                return 1;
            }
            peer.AddRange(measured);
            info = message;
        }
        PrintSide("orchestra", Pool(results));
        if (langGraph is null)
            return 0;
        Console.WriteLine();
        Console.WriteLine(info);
        PrintSide("langgraph", Pool(peer));
        Console.WriteLine();
        Comparison.Print(Pool(results), Pool(peer));
        return 0;
    }

    /// <summary>Joins the runs of every round per graph and mode.</summary>
    private static List<GraphResult> Pool(List<GraphResult> results) =>
        results.GroupBy(r => (r.Graph, r.Mode))
            .Select(g => new GraphResult(g.First().Side, g.Key.Graph, g.Key.Mode, g.First().Steps, g.SelectMany(r => r.Runs).ToList())
            {
                AllocatedPerStep = g.Average(r => r.AllocatedPerStep),
            })
            .ToList();

    private static async Task<List<GraphResult>> MeasureOrchestraAsync(string[] modes, string[] graphs, int runs, int warmup, int warmupMs, int parallel, string synchronous, bool profile)
    {
        var results = new List<GraphResult>();
        if (modes.Contains("memory"))
            results.AddRange(await MeasureAsync("memory", () => new InMemoryStore(), graphs, runs, warmup, warmupMs, parallel, profile));
        if (!modes.Contains("sqlite"))
            return results;
        var dir = Directory.CreateTempSubdirectory("orchestra-graph-bench-");
        try
        {
            var options = new SqliteStoreOptions { Synchronous = synchronous == "full" ? SqliteSynchronous.Full : SqliteSynchronous.Normal };
            var files = 0;
            results.AddRange(await MeasureAsync("sqlite", () => SqliteStore.Open(Path.Combine(dir.FullName, $"orchestra-{files++}.db"), options), graphs, runs, warmup, warmupMs, parallel, profile));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        return results;
    }

    private static async Task<List<GraphResult>> MeasureAsync(string mode, Func<IStore> openStore, string[] graphs, int runs, int warmup, int warmupMs, int parallel, bool profile)
    {
        var results = new List<GraphResult>();
        var shapes = new GraphShapes();
        using var sampler = profile ? new AllocationSampler() : null;
        foreach (var shape in shapes.All.Where(s => graphs.Contains(s.Name)))
        {
            // A store per graph, reused by all its runs, as the LangGraph side uses a file per graph.
            var store = profile ? new ProfilingStore(openStore()) : openStore();
            try
            {
                var engine = new OrchestraEngine(store, new AgentRegistry(), graphs: new GraphCatalog().Register(shape.Definition));
                var warming = Stopwatch.StartNew();
                for (var r = 0; r < warmup || warming.ElapsedMilliseconds < warmupMs; r++)
                    await RunOnceAsync(engine, shape, shapes, parallel);
                if (store is ProfilingStore warm)
                    warm.Take();
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                sampler?.Start();
                var times = new List<double>(runs);
                for (var r = 0; r < runs; r++)
                    times.Add(await RunOnceAsync(engine, shape, shapes, parallel));
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                var result = new GraphResult("orchestra", shape.Name, mode, shape.Steps, times) { AllocatedPerStep = (double)allocated / runs / shape.Steps };
                results.Add(result);
                if (store is ProfilingStore profiled)
                    PrintProfile(result, profiled.Take());
                if (sampler is not null)
                {
                    var sampled = sampler.Take();
                    var total = Math.Max(1, sampled.Sum(x => x.Bytes));
                    Console.WriteLine($"  sampled allocations {shape.Name}/{mode}: " + string.Join(", ", sampled.Take(12).Select(x => $"{x.Type} {100.0 * x.Bytes / total:0}%")));
                }
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

    private static void PrintProfile(GraphResult result, Dictionary<string, (TimeSpan Time, int Calls)> totals)
    {
        // The checks after each run read the store too: they are not part of a run's wall time.
        totals.Remove("ListSteps");
        var steps = (double)result.Steps * result.Runs.Count;
        var wall = result.Runs.Sum() * 1000 / steps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  profile {result.Graph}/{result.Mode}: {wall:0.0} µs per step (mean wall), of which store and engine:"));
        var inside = totals.Where(kv => kv.Key.StartsWith("tx:", StringComparison.Ordinal)).Sum(kv => kv.Value.Time.TotalMicroseconds);
        if (totals.TryGetValue("transaction work (engine + tx: calls)", out var work))
            totals["transaction work: engine only"] = (TimeSpan.FromMicroseconds(work.Time.TotalMicroseconds - inside), work.Calls);
        var accounted = 0.0;
        foreach (var (name, (time, calls)) in totals.OrderByDescending(kv => kv.Value.Time))
        {
            var perStep = time.TotalMicroseconds / steps;
            if (!name.StartsWith("transaction work (", StringComparison.Ordinal) && !name.StartsWith("tx:", StringComparison.Ordinal))
                accounted += perStep;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {name,-40} {perStep,8:0.0} µs/step {calls / steps,6:0.00} calls/step"));
        }
        accounted += inside / steps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {"rest: worker scheduling, thread hops, node",-40} {wall - accounted,8:0.0} µs/step"));
    }

    private static void PrintSide(string side, List<GraphResult> results)
    {
        Console.WriteLine($"{side}:");
        Console.WriteLine($"  {"graph",-7} {"mode",-13} {"steps",5} {"median ms",10} {"µs/step",9} {"KB/step",8}   runs ms (min … max)");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Graph,-7} {r.Mode,-13} {r.Steps,5} {r.MedianMs,10:0.000} {r.PerStepUs,9:0.0} {(r.AllocatedPerStep > 0 ? (r.AllocatedPerStep / 1024).ToString("0.0", CultureInfo.InvariantCulture) : "-"),8}   {r.Runs.Min():0.000} … {r.Runs.Max():0.000}"));
        }
    }
}
