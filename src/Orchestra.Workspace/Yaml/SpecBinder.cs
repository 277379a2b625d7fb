using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Workspace.Yaml;

/// <summary>Binds a part of a YAML file to an options record (snake_case keys, durations as text), with positioned errors.</summary>
public static class SpecBinder
{
    /// <summary>The serializer settings used for definition files: snake_case, unknown keys refused, durations as text.</summary>
    public static JsonSerializerOptions Options => DefinitionJsonContext.Default.Options;

    /// <summary>
    /// Binds <paramref name="node"/> (found at <paramref name="jsonPath"/> in <paramref name="source"/>) to <typeparamref name="T"/>.
    /// Keys listed in <paramref name="ignore"/> (such as <c>kind</c>) are left out first.
    /// </summary>
    public static T Bind<T>(YamlSource source, JsonNode? node, string jsonPath, params string[] ignore) where T : class
    {
        node ??= new JsonObject();
        if (node is JsonObject obj && ignore.Length > 0)
        {
            obj = (JsonObject)obj.DeepClone();
            foreach (var key in ignore)
                obj.Remove(key);
            node = obj;
        }
        try
        {
            return node.Deserialize<T>(Options) ?? throw source.Error(jsonPath, "expected a mapping.");
        }
        catch (JsonException ex)
        {
            var path = jsonPath + (ex.Path is { Length: > 1 } p ? p[1..] : "");
            throw source.Error(path, Explain(ex, typeof(T)));
        }
        catch (OrchestraException ex)
        {
            throw source.Error(jsonPath, ex.Message);
        }
    }

    private static string Explain(JsonException ex, Type type)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var start = message.IndexOf('\'', StringComparison.Ordinal);
            var end = start >= 0 ? message.IndexOf('\'', start + 1) : -1;
            var key = start >= 0 && end > start ? message[(start + 1)..end] : "?";
            var known = type.GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
            return $"unknown key '{key}'. Known keys: {string.Join(", ", known)}.";
        }
        if (ex.InnerException is OrchestraException inner)
            return inner.Message;
        if (message.Contains("could not be converted to", StringComparison.Ordinal) && EnumAt(type, ex.Path) is { } enumType)
            return $"expected one of: {string.Join(", ", EnumNames(enumType))}.";
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var start = message.IndexOf("properties including: ", StringComparison.Ordinal);
            var names = start >= 0 ? message[(start + 22)..].TrimEnd('.').Replace("'", "", StringComparison.Ordinal) : "?";
            return $"missing required key {names}.";
        }
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Replace("The JSON value", "The value", StringComparison.Ordinal);
    }

    /// <summary>The enum type of the top-level property at <paramref name="path"/> (<c>$.sandbox</c>) of <paramref name="type"/>, or null.</summary>
    private static Type? EnumAt(Type type, string? path)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal) || path.IndexOfAny(['.', '['], 2) >= 0)
            return null;
        var key = path[2..];
        var property = type.GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == key);
        var propertyType = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return propertyType is { IsEnum: true } ? propertyType : null;
    }

    /// <summary>The names an enum is written with in definition files.</summary>
    private static IEnumerable<string> EnumNames(Type enumType) =>
        enumType.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false).OfType<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name
                ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(f.Name));

    /// <summary>Reads durations written as text (<c>30s</c>) or as seconds.</summary>
    public sealed class DurationConverter : JsonConverter<TimeSpan>
    {
        /// <inheritdoc />
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
                return TimeSpan.FromSeconds(reader.GetDouble());
            var text = reader.GetString();
            if (Durations.TryParse(text, out var value))
                return value;
            throw new JsonException($"'{text}' is not a duration: use forms like 500ms, 30s, 20m, 1h30m or 7d.");
        }

        /// <inheritdoc />
        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Durations.Format(value));
    }
}
