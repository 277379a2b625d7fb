using BenchmarkDotNet.Running;
using Orchestra.Benchmarks;

// dotnet run -c Release --project bench/Orchestra.Benchmarks -- system [--steps N] [--parallel N]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- cli --orchestra PATH [--steps N]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- compile --orchestra PATH [--runs N]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- llm [--calls N] [--concurrent N] [--tokens N]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- git [--files N] [--steps N]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- claude-parallel [--steps N] [--parallel N] [--files N] [--claude PATH]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- graphs [--langgraph] [--rounds N] [--runs N] [--warmup N] [--warmup-ms MS] [--parallel N] [--synchronous normal|full] [--graphs chain,fanout,loop] [--modes memory,sqlite] [--profile]
// dotnet run -c Release --project bench/Orchestra.Benchmarks -- micro [BenchmarkDotNet options]
var mode = args.Length > 0 ? args[0] : "system";
var rest = args.Skip(1).ToArray();
return mode switch
{
    "system" => await SystemBenchmark.RunAsync(rest),
    "cli" => await CliBenchmark.RunAsync(rest),
    "compile" => CompileBenchmark.Run(rest),
    "llm" => await LlmBenchmark.RunAsync(rest),
    "git" => await GitBenchmark.RunAsync(rest),
    "claude-parallel" => await ClaudeParallelBenchmark.RunAsync(rest),
    "graphs" => await GraphBenchmark.RunAsync(rest),
    "micro" => RunMicro(rest),
    _ => Usage(),
};

static int RunMicro(string[] rest)
{
    // In process: the benchmark runs from any directory, without generating and building a project.
    string[] defaults = ["--filter", "*", "--inProcess"];
    BenchmarkSwitcher.FromAssembly(typeof(StoreBenchmarks).Assembly).Run(rest.Length == 0 ? defaults : [.. rest, "--inProcess"]);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Orchestra.Benchmarks system|cli|compile|llm|git|claude-parallel|graphs|micro [options]");
    return 2;
}
