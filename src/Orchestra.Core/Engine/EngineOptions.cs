using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;

namespace Orchestra.Core.Engine;

/// <summary>Settings of an <see cref="OrchestraEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>How long a claim lasts without a heartbeat. <value>The default value is 30 seconds.</value></summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Backoff between attempts of transiently failed steps.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Most running steps across every worker sharing the store, or null for no limit.</summary>
    public int? GlobalLimit { get; init; }

    /// <summary>
    /// Tells whether the worker that owns a lease is still alive, when that can be known (same machine).
    /// Returns false only when the owner is certainly gone, so its leases are reclaimed without waiting
    /// for them to expire. The default knows nothing and always answers true.
    /// </summary>
    public Func<string, bool> IsWorkerAlive { get; init; } = _ => true;

    /// <summary>Where agents work. <value>The default value is the current directory.</value></summary>
    public string WorkDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>
    /// Gives steps that ask for isolation (<c>isolation: worktree</c>) a directory of their own and records their work
    /// when they succeed. Null: such steps fail with a message saying isolation is not available.
    /// </summary>
    public IStepWorkspace? StepWorkspace { get; init; }

    /// <summary>Source of the jitter in retry delays, a number in [0, 1).</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    /// <summary>
    /// Brings work accepted outside the store (a workspace's inbox of started tasks) into it; returns how many
    /// submissions it brought. Workers call it when they start, on every poll and before deciding they are idle.
    /// Null: nothing is accepted outside the store.
    /// </summary>
    public Func<CancellationToken, ValueTask<int>>? Intake { get; init; }

    /// <summary>
    /// Finds the definition of a graph run from what the run recorded, for example by compiling again the pipeline file
    /// named in <c>RunRecord.Graph["source"]</c> (see <see cref="RunSpec.GraphSource"/>), so that any process, not only
    /// the one that started the run, can continue it. Asked before <see cref="OrchestraEngine.Graphs"/>; null falls back
    /// to the catalog by the run's name. Called at most once per run in a process: the answer is cached. It may throw
    /// <see cref="OrchestraException"/> to say why the graph cannot be had (its file changed since the run started); the
    /// run then fails with that message rather than going on with a different graph. Resolving may also make the graph's
    /// own agents known to the engine's agent resolver (a pipeline's inline agents).
    /// <value>The default value is null: only graphs registered in the catalog run.</value>
    /// </summary>
    public Func<RunRecord, GraphDefinition?>? GraphResolver { get; init; }
}
