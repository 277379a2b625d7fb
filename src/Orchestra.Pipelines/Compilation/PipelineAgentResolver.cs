using Orchestra.Core.Agents;
using Orchestra.Workspace;

namespace Orchestra.Pipelines;

/// <summary>
/// Resolves the agents of a compiled pipeline for the engine: agents defined in the pipeline under their runtime
/// names (<c>pipeline:{pipeline}:{agent}</c>), built on first use, and everything else from the workspace.
/// </summary>
public sealed class PipelineAgentResolver : IAgentResolver
{
    private readonly OrchestraWorkspace _workspace;
    private readonly Dictionary<string, CompiledAgent> _inline = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _built = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Creates a resolver for <paramref name="pipeline"/>'s agents over <paramref name="workspace"/>'s.</summary>
    public PipelineAgentResolver(CompiledPipeline pipeline, OrchestraWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _workspace = workspace ?? throw new ArgumentNullException(nameof(workspace));
        foreach (var agent in pipeline.Agents.Where(a => a.Definition is not null))
            _inline[agent.RuntimeName] = agent;
    }

    /// <inheritdoc />
    public Agent? Find(string name)
    {
        if (!_inline.TryGetValue(name, out var agent))
            return _workspace.Agents.Find(name);
        lock (_lock)
        {
            if (!_built.TryGetValue(name, out var built))
                _built[name] = built = AgentKinds.Build(agent.Definition!, _workspace);
            return built;
        }
    }

    /// <inheritdoc />
    public bool Contains(string name) => _inline.ContainsKey(name) || _workspace.Agents.Contains(name);
}
