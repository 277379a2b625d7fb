using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>The agents of a workspace, read from <c>.orchestra/agents/*.yaml</c> on first use.</summary>
public sealed class AgentCatalog : IAgentResolver
{
    private readonly OrchestraWorkspace _workspace;
    private readonly Dictionary<string, Agent?> _agents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Creates the catalog of a workspace.</summary>
    public AgentCatalog(OrchestraWorkspace workspace) => _workspace = workspace;

    /// <summary>Names of the defined agents, sorted.</summary>
    public IReadOnlyList<string> Names()
    {
        if (!Directory.Exists(_workspace.AgentsDir))
            return [];
        return Directory.EnumerateFiles(_workspace.AgentsDir, "*.yaml")
            .Select(f => System.IO.Path.GetFileNameWithoutExtension(f))
            .Where(Ids.IsValidName)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Reads an agent's definition.</summary>
    /// <exception cref="OrchestraException">No such agent, or its file is invalid.</exception>
    public AgentDefinition Definition(string name)
    {
        if (!Ids.IsValidName(name))
            throw new OrchestraException($"'{name}' is not a valid agent name: use letters, digits, '-', '_' or '.'.");
        var path = System.IO.Path.Combine(_workspace.AgentsDir, name + ".yaml");
        if (!File.Exists(path))
            throw new OrchestraException(UnknownMessage(name), ErrorKind.NotFound);
        var source = YamlSource.Load(path);
        if (source.Root is not JsonObject spec)
            throw source.Error("$", "an agent definition must be a mapping with at least 'kind:'.");
        if (spec["kind"] is not JsonValue kindValue || !kindValue.TryGetValue<string>(out var kind))
            throw source.Error("$", $"missing 'kind:'. Known kinds: {string.Join(", ", AgentKinds.Names.Order(StringComparer.Ordinal))}.");
        return new AgentDefinition(name, kind, spec, source);
    }

    /// <summary>The message for an agent that does not exist, listing the ones that do.</summary>
    public string UnknownMessage(string name)
    {
        var known = Names();
        return known.Count == 0
            ? $"Unknown agent '{name}': no agents are defined in {_workspace.AgentsDir}; add {name}.yaml there."
            : $"Unknown agent '{name}'. Known agents: {string.Join(", ", known)}.";
    }

    /// <summary>Builds an agent, throwing a clear error when it is missing or invalid.</summary>
    public Agent Get(string name) => Find(name) ?? throw new OrchestraException(UnknownMessage(name), ErrorKind.NotFound);

    /// <inheritdoc />
    /// <remarks>
    /// An agent file that passed its checks and has not changed since is trusted without being parsed again;
    /// otherwise the agent is built, and an invalid definition throws with its position.
    /// </remarks>
    public bool Contains(string name)
    {
        if (!Ids.IsValidName(name))
            return false;
        var path = System.IO.Path.Combine(_workspace.AgentsDir, name + ".yaml");
        if (!File.Exists(path))
            return false;
        return _workspace.Checked.Lookup("agent:" + name, path) is not null || Find(name) is not null;
    }

    private const string IsolationPayload = "isolation=";

    /// <summary>
    /// Where the steps of an agent work unless their input says otherwise (its <c>isolation:</c>), read from the
    /// checked-definitions cache while the file is unchanged. <see cref="StepIsolation.None"/> for an unknown agent.
    /// </summary>
    /// <exception cref="OrchestraException">The agent's file is invalid.</exception>
    public StepIsolation IsolationOf(string name)
    {
        if (!Ids.IsValidName(name))
            return StepIsolation.None;
        var path = System.IO.Path.Combine(_workspace.AgentsDir, name + ".yaml");
        // Entries recorded before the isolation was cached have an empty payload: those are parsed again.
        if (_workspace.Checked.Lookup("agent:" + name, path) is { } payload && payload.StartsWith(IsolationPayload, StringComparison.Ordinal)
            && Isolation.TryParse(payload[IsolationPayload.Length..], out var cached))
            return cached;
        return Find(name)?.Isolation ?? StepIsolation.None;
    }

    /// <inheritdoc />
    /// <remarks>Returns null only for an agent that does not exist; an invalid definition throws.</remarks>
    public Agent? Find(string name)
    {
        lock (_lock)
        {
            if (_agents.TryGetValue(name, out var cached))
                return cached;
        }
        Agent? agent = null;
        var path = System.IO.Path.Combine(_workspace.AgentsDir, name + ".yaml");
        if (Ids.IsValidName(name) && File.Exists(path))
        {
            agent = AgentKinds.Build(Definition(name), _workspace);
            // The isolation rides along, so that 'start' can tell whether a task needs git without parsing the file.
            _workspace.Checked.Record("agent:" + name, path, IsolationPayload + Isolation.Name(agent.Isolation));
        }
        lock (_lock)
            _agents[name] = agent;
        return agent;
    }
}
