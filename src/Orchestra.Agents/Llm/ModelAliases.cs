namespace Orchestra.Agents.Llm;

/// <summary>
/// Resolves a model alias (<c>smart</c>, <c>worker</c>, <c>cheap</c>, or any name a map defines) to a model name:
/// the agent's own map first, then the run's (workspace) default map, then the provider profile's. A name no map
/// knows is taken literally, so <c>model: gpt-4o</c> just works.
/// </summary>
public static class ModelAliases
{
    /// <summary>The aliases every built-in profile defines.</summary>
    public static IReadOnlyList<string> Standard { get; } = ["smart", "worker", "cheap"];

    /// <summary>Resolves <paramref name="requested"/>; null when there is nothing to resolve and the profile has no default.</summary>
    public static string? Resolve(
        string? requested,
        ProviderProfile profile,
        IReadOnlyDictionary<string, string>? agentMap = null,
        IReadOnlyDictionary<string, string>? runMap = null)
    {
        if (string.IsNullOrWhiteSpace(requested))
            return profile.DefaultModel;
        // An alias may name another alias of a later map (agent: smart -> fast, profile: fast -> x), a few levels deep at most.
        var name = requested;
        for (var depth = 0; depth < 4; depth++)
        {
            var next = Lookup(agentMap, name) ?? Lookup(runMap, name) ?? Lookup(profile.Models, name);
            if (next is null || next == name)
                return name;
            name = next;
        }
        return name;
    }

    private static string? Lookup(IReadOnlyDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var v) ? v : null;
}
