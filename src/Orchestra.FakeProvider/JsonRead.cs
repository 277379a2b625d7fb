using System.Text.Json;

namespace Orchestra.FakeProvider;

/// <summary>Lenient readers for request bodies: a missing or mistyped field reads as absent, never throws.</summary>
internal static class JsonRead
{
    public static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool Bool(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    public static bool Has(JsonElement obj, string name, JsonValueKind kind) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == kind;

    public static JsonElement Property(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value : default;

    /// <summary>The elements of the array <paramref name="name"/>, or none.</summary>
    public static IReadOnlyList<JsonElement> Array(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().ToList()
            : [];

    /// <summary>
    /// The text of message content: a string as it is, or the <c>text</c> of each part of an array (parts of the
    /// types in <paramref name="skip"/> left out) joined by newlines.
    /// </summary>
    public static string Text(JsonElement content, params string[] skip)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString() ?? "";
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String)
                        parts.Add(part.GetString() ?? "");
                    else if (String(part, "type") is not { } type || !skip.Contains(type))
                    {
                        if (String(part, "text") is { } text)
                            parts.Add(text);
                    }
                }
                return string.Join('\n', parts);
            default:
                return "";
        }
    }

    /// <summary>Texts joined by blank lines, or null when there are none.</summary>
    public static string? JoinOrNull(IEnumerable<string> texts)
    {
        var list = texts.Where(t => t.Length > 0).ToList();
        return list.Count == 0 ? null : string.Join("\n\n", list);
    }
}
