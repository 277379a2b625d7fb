using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.Agents.Tools;

/// <summary>The JSON type of a tool parameter.</summary>
public enum ToolParameterType
{
    /// <summary>Text.</summary>
    String,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>Any number.</summary>
    Number,
    /// <summary>True or false.</summary>
    Boolean,
    /// <summary>A list of strings.</summary>
    StringArray,
}

/// <summary>One parameter of a tool, as its JSON schema tells the model.</summary>
/// <param name="Name">The argument's name.</param>
/// <param name="Type">Its JSON type.</param>
/// <param name="Description">What it means, for the model.</param>
/// <param name="Required">True when every call must pass it.</param>
public sealed record ToolParameter(string Name, ToolParameterType Type, string Description, bool Required = false)
{
    /// <summary>
    /// The JSON schema of a tool taking <paramref name="parameters"/>: an object with one property per parameter,
    /// the required ones listed, and no other properties allowed.
    /// </summary>
    public static JsonElement Schema(IEnumerable<ToolParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var p in parameters)
        {
            var property = p.Type switch
            {
                ToolParameterType.StringArray => new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                _ => new JsonObject { ["type"] = TypeName(p.Type) },
            };
            property["description"] = p.Description;
            properties[p.Name] = property;
            if (p.Required)
                required.Add(p.Name);
        }
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = required,
            ["additionalProperties"] = false,
        };
        return ToElement(schema);
    }

    /// <summary>A <see cref="JsonElement"/> copy of <paramref name="node"/>.</summary>
    internal static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>The JSON schema name of <paramref name="type"/>.</summary>
    public static string TypeName(ToolParameterType type) => type switch
    {
        ToolParameterType.String => "string",
        ToolParameterType.Integer => "integer",
        ToolParameterType.Number => "number",
        ToolParameterType.Boolean => "boolean",
        ToolParameterType.StringArray => "array",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
