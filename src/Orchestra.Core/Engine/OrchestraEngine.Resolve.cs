using System.Collections.Concurrent;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

public sealed partial class OrchestraEngine
{
    /// <summary>The key of <see cref="RunSpec.GraphSource"/> in <see cref="RunRecord.Graph"/>.</summary>
    public const string GraphSourceKey = "source";

    // Per run: a definition found once is the one the run keeps using in this process, even if its source changes later.
    private readonly ConcurrentDictionary<string, GraphDefinition> _resolvedGraphs = new(StringComparer.Ordinal);

    /// <summary>
    /// The definition graph run <paramref name="run"/> follows: what <see cref="EngineOptions.GraphResolver"/> finds from
    /// the run's recorded source, else the graph registered in <see cref="Graphs"/> under the run's name; null when
    /// neither knows it. The answer is cached per run.
    /// </summary>
    /// <exception cref="OrchestraException">The resolver found the run's source but cannot use it (the file changed).</exception>
    public GraphDefinition? FindGraph(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (_resolvedGraphs.TryGetValue(run.Id, out var cached))
            return cached;
        var graph = Options.GraphResolver?.Invoke(run) ?? Graphs.FindGraph(run.Name);
        if (graph is not null)
            _resolvedGraphs.TryAdd(run.Id, graph);
        return graph;
    }

    /// <summary>
    /// The agent of <paramref name="step"/>. A graph's own agents (a pipeline's inline agents) may only become known once
    /// the run's definition is resolved in this process, so an unknown name resolves the run's graph and looks again.
    /// </summary>
    /// <exception cref="OrchestraException">The run's graph cannot be resolved; the message says why.</exception>
    public async ValueTask<Agent?> FindAgentAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        var agent = FindAgent(step.Agent);
        if (agent is not null || Options.GraphResolver is null)
            return agent;
        var run = await Store.GetRunAsync(step.RunId, cancellationToken).ConfigureAwait(false);
        if (run is not { Kind: RunKinds.Graph } || _resolvedGraphs.ContainsKey(run.Id))
            return null;
        FindGraph(run);
        return FindAgent(step.Agent);
    }
}
