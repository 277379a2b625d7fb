using System.Text.Json.Nodes;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>An agent as written in <c>.orchestra/agents/&lt;name&gt;.yaml</c>: a kind plus the kind's fields.</summary>
/// <param name="Name">The file's name without <c>.yaml</c>.</param>
/// <param name="Kind">The <c>kind:</c> field.</param>
/// <param name="Spec">The whole document.</param>
/// <param name="Source">The file, for positioned errors.</param>
public sealed record AgentDefinition(string Name, string Kind, JsonObject Spec, YamlSource Source)
{
    /// <summary>The optional <c>description:</c> field.</summary>
    public string? Description => Spec["description"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
