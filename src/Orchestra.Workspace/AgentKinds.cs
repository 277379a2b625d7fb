using Orchestra.Agents.Scripted;
using Orchestra.Core.Agents;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>The agent kinds a workspace can build, by the name used in <c>kind:</c>.</summary>
public static class AgentKinds
{
    private static readonly Dictionary<string, Func<AgentDefinition, OrchestraWorkspace, Agent>> Builders = new(StringComparer.Ordinal)
    {
        ["scripted"] = (d, _) => new ScriptedAgent(d.Name, SpecBinder.Bind<ScriptedOptions>(d.Source, d.Spec, "$", "kind")),
    };

    /// <summary>The known kinds.</summary>
    public static IReadOnlyCollection<string> Names => Builders.Keys;

    /// <summary>Adds or replaces a kind.</summary>
    public static void Register(string kind, Func<AgentDefinition, OrchestraWorkspace, Agent> build) => Builders[kind] = build;

    /// <summary>Builds the agent of a definition.</summary>
    /// <exception cref="Orchestra.Core.OrchestraException">Unknown kind or invalid fields, with the file position.</exception>
    public static Agent Build(AgentDefinition definition, OrchestraWorkspace workspace)
    {
        if (!Builders.TryGetValue(definition.Kind, out var build))
            throw definition.Source.Error("$.kind", $"unknown agent kind '{definition.Kind}'. Known kinds: {string.Join(", ", Builders.Keys.Order(StringComparer.Ordinal))}.");
        return build(definition, workspace);
    }
}
