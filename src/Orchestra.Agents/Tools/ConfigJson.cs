using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core;

namespace Orchestra.Agents.Tools;

/// <summary>Small readers for tool definitions in configuration (YAML turned into JSON), with errors that name the key.</summary>
internal static class ConfigJson
{
    public static void OnlyKeys(JsonObject json, string where, params string[] known)
    {
        foreach (var (key, _) in json)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
                throw new OrchestraException($"{where}: unknown key '{key}'. Known keys: {string.Join(", ", known)}");
        }
    }

    public static string? String(JsonObject json, string key, string where) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => throw new OrchestraException($"{where}.{key} must be text"),
    };

    public static bool? Bool(JsonObject json, string key, string where) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => throw new OrchestraException($"{where}.{key} must be true or false"),
    };

    public static IReadOnlyList<string>? StringList(JsonObject json, string key, string where) => json[key] switch
    {
        null => null,
        JsonArray a => a.Select(item => item is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
                : throw new OrchestraException($"{where}.{key} must be a list of strings")).ToList(),
        _ => throw new OrchestraException($"{where}.{key} must be a list of strings, one per argument, such as [\"dotnet\", \"test\"]; it is never split by a shell"),
    };

    public static IReadOnlyDictionary<string, string>? StringMap(JsonObject json, string key, string where)
    {
        if (json[key] is null)
            return null;
        if (json[key] is not JsonObject map)
            throw new OrchestraException($"{where}.{key} must be a mapping of names to values");
        return map.ToDictionary(e => e.Key, e => String(map, e.Key, $"{where}.{key}") ?? "", StringComparer.Ordinal);
    }
}
