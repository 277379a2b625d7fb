using BenchmarkDotNet.Attributes;
using Orchestra.Agents.Scripted;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Storage.Sqlite;

namespace Orchestra.Benchmarks;

/// <summary>Claim and complete one step against a durable SQLite store.</summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private DirectoryInfo _dir = null!;
    private SqliteStore _store = null!;
    private OrchestraEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("orchestra-micro-");
        _store = SqliteStore.Open(Path.Combine(_dir.FullName, "orchestra.db"));
        _engine = new OrchestraEngine(_store, new AgentRegistry([new ScriptedAgent("noop", new ScriptedOptions())]));
    }

    [IterationSetup]
    public void Queue() =>
        _engine.SubmitAsync(new RunSpec { Kind = RunKinds.Plan, Steps = Enumerable.Range(0, 64).Select(n => new StepSpec { Name = $"t{n}", Agent = "noop" }).ToList() }).AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = 64)]
    public async Task ClaimAndComplete()
    {
        for (var i = 0; i < 64; i++)
        {
            var step = (await _engine.ClaimAsync("bench", 1))[0];
            await _engine.CompleteAsync(new Completion(step, AgentResult.Success("")));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dir.Delete(recursive: true);
    }
}
