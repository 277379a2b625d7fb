using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core.Graphs;

namespace Orchestra.Pipelines.Prompts;

/// <summary>
/// What a task template sees: every state key and every input by name (<c>{{ pr_diff }}</c>), and
/// <c>state</c>, <c>inputs</c>, <c>outputs</c> (by node) and <c>route</c>. A state key shadows an input of the
/// same name; <c>inputs.name</c> always reaches the input.
/// </summary>
public sealed class TemplateModel
{
    private TemplateModel(Dictionary<string, object?> root) => Root = root;

    internal Dictionary<string, object?> Root { get; }

    /// <summary>The model of a graph context: state (with its <c>inputs</c> key), outputs and route.</summary>
    public static TemplateModel From(GraphContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return From(context.State, context.Outputs, context.Route);
    }

    /// <summary>The model of a state document, the outputs by node and a route.</summary>
    public static TemplateModel From(JsonObject state, JsonObject? outputs = null, string? route = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var root = new JsonMap();
        var inputs = state["inputs"] as JsonObject;
        foreach (var (key, value) in inputs ?? [])
            root[key] = Convert(value);
        foreach (var (key, value) in state)
        {
            if (key != "inputs")
                root[key] = Convert(value);
        }
        root["state"] = Convert(state);
        root["inputs"] = inputs is null ? new JsonMap() : Convert(inputs);
        root["outputs"] = outputs is null ? new JsonMap() : Convert(outputs);
        root["route"] = route;
        return new TemplateModel(root);
    }

    /// <summary>JSON as plain .NET values the template engine walks: mappings, lists, text, numbers, booleans.</summary>
    private static object? Convert(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new JsonMap(o.Select(kv => KeyValuePair.Create(kv.Key, Convert(kv.Value)))),
        JsonArray a => new JsonList(a.Select(Convert)),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
            JsonValueKind.Number => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };

    /// <summary>A mapping; <c>{{json value}}</c> prints it as JSON.</summary>
    private sealed class JsonMap : Dictionary<string, object?>
    {
        public JsonMap() : base(StringComparer.Ordinal) { }

        public JsonMap(IEnumerable<KeyValuePair<string, object?>> items) : base(items, StringComparer.Ordinal) { }

        public override string ToString() => ToJson(this)!.ToJsonString(TemplateJson.Options);
    }

    /// <summary>A list; <c>{{json value}}</c> prints it as JSON.</summary>
    private sealed class JsonList(IEnumerable<object?> items) : List<object?>(items)
    {
        public override string ToString() => ToJson(this)!.ToJsonString(TemplateJson.Options);
    }

    /// <summary>A template value as indented JSON.</summary>
    internal static string Json(object? value) => ToJson(value)?.ToJsonString(TemplateJson.Options) ?? "null";

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        JsonMap m => new JsonObject(m.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        JsonList l => new JsonArray(l.Select(ToJson).ToArray()),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        _ => JsonValue.Create(value.ToString()),
    };

    private static class TemplateJson
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
    }
}
