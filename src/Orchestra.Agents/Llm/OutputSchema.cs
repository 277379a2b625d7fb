using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>
/// A JSON Schema an agent's output must match. Supports the keywords models are asked to follow: <c>type</c>,
/// <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>items</c>, <c>enum</c>, <c>const</c>,
/// <c>minItems</c>/<c>maxItems</c>, <c>minLength</c>/<c>maxLength</c>, <c>pattern</c>, <c>minimum</c>/<c>maximum</c>,
/// <c>anyOf</c>/<c>oneOf</c>/<c>allOf</c> and local <c>$ref</c>s into <c>$defs</c>. Unknown keywords are refused
/// when the schema is loaded, so a typo never silently weakens it.
/// </summary>
public sealed class OutputSchema
{
    private static readonly HashSet<string> Types = new(StringComparer.Ordinal) { "object", "array", "string", "number", "integer", "boolean", "null" };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$defs", "definitions", "$ref", "$comment", "title", "description", "default", "examples",
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "anyOf", "oneOf", "allOf", "format", "uniqueItems", "minProperties", "maxProperties",
    };

    private readonly JsonObject _root;

    private OutputSchema(JsonObject root) => _root = root;

    /// <summary>The schema document.</summary>
    public JsonObject Document => _root;

    /// <summary>Checks that <paramref name="schema"/> is a schema this validator understands.</summary>
    /// <exception cref="OrchestraException">It is not; the message names the JSON path and the keyword.</exception>
    public static OutputSchema Parse(JsonNode? schema)
    {
        if (schema is not JsonObject obj)
            throw new OrchestraException("output_schema is not a JSON Schema: it must be an object such as {type: object, properties: {...}}.");
        Check(obj, obj, "output_schema");
        return new OutputSchema((JsonObject)obj.DeepClone());
    }

    private static void Check(JsonObject root, JsonObject s, string path)
    {
        foreach (var (key, value) in s)
        {
            if (!Keywords.Contains(key))
                throw new OrchestraException($"{path}: '{key}' is not a JSON Schema keyword Orchestra checks; remove it or use one of: {string.Join(", ", Keywords.Where(k => !k.StartsWith('$')).Order(StringComparer.Ordinal))}.");
            switch (key)
            {
                case "type":
                    var names = value is JsonArray arr ? arr.Select(n => n?.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "?") : [value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : "?"];
                    foreach (var n in names)
                    {
                        if (!Types.Contains(n))
                            throw new OrchestraException($"{path}.type: '{n}' is not a JSON type; use object, array, string, number, integer, boolean or null.");
                    }
                    break;
                case "properties" or "$defs" or "definitions":
                    if (value is not JsonObject props)
                        throw new OrchestraException($"{path}.{key} must be an object of schemas.");
                    foreach (var (name, sub) in props)
                        Check(root, sub as JsonObject ?? throw new OrchestraException($"{path}.{key}.{name} must be a schema object."), $"{path}.{key}.{name}");
                    break;
                case "items":
                    Check(root, value as JsonObject ?? throw new OrchestraException($"{path}.items must be a schema object."), $"{path}.items");
                    break;
                case "additionalProperties":
                    if (value is JsonObject extra) Check(root, extra, $"{path}.additionalProperties");
                    else if (value?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                        throw new OrchestraException($"{path}.additionalProperties must be true, false or a schema.");
                    break;
                case "anyOf" or "oneOf" or "allOf":
                    if (value is not JsonArray { Count: > 0 } list)
                        throw new OrchestraException($"{path}.{key} must be a non-empty list of schemas.");
                    for (var i = 0; i < list.Count; i++)
                        Check(root, list[i] as JsonObject ?? throw new OrchestraException($"{path}.{key}[{i}] must be a schema object."), $"{path}.{key}[{i}]");
                    break;
                case "required":
                    if (value is not JsonArray req || req.Any(r => r?.GetValueKind() != JsonValueKind.String))
                        throw new OrchestraException($"{path}.required must be a list of property names.");
                    break;
                case "enum":
                    if (value is not JsonArray)
                        throw new OrchestraException($"{path}.enum must be a list of values.");
                    break;
                case "pattern":
                    try
                    {
                        _ = new Regex(value!.GetValue<string>(), RegexOptions.None, TimeSpan.FromSeconds(1));
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
                    {
                        throw new OrchestraException($"{path}.pattern is not a valid regular expression.");
                    }
                    break;
                case "$ref":
                    _ = Resolve(root, value?.GetValue<string>() ?? "", path);
                    break;
            }
        }
    }

    private static JsonObject Resolve(JsonObject root, string reference, string path)
    {
        if (reference == "#")
            return root;
        foreach (var prefix in (string[])["#/$defs/", "#/definitions/"])
        {
            if (reference.StartsWith(prefix, StringComparison.Ordinal)
                && root[prefix[2..^1]] is JsonObject defs && defs[reference[prefix.Length..]] is JsonObject target)
                return target;
        }
        throw new OrchestraException($"{path}.$ref '{reference}' does not name a schema under $defs; only local references are supported.");
    }

    /// <summary>The problems of <paramref name="value"/> against the schema; empty when it matches.</summary>
    public IReadOnlyList<string> Validate(JsonNode? value)
    {
        var errors = new List<string>();
        Validate(_root, value, "$", errors, 0);
        return errors;
    }

    private void Validate(JsonObject s, JsonNode? v, string path, List<string> errors, int depth)
    {
        if (depth > 64)
        {
            errors.Add($"{path}: schema nests too deeply");
            return;
        }
        if (s["$ref"]?.GetValue<string>() is { } reference)
            Validate(Resolve(_root, reference, "output_schema"), v, path, errors, depth + 1);
        var kind = v?.GetValueKind() ?? JsonValueKind.Null;

        if (s["type"] is { } type)
        {
            var allowed = type is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            if (!allowed.Any(t => Is(t, v, kind)))
            {
                errors.Add($"{path}: expected {string.Join(" or ", allowed)}, got {Describe(kind)}");
                return;
            }
        }
        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, v)))
            errors.Add($"{path}: must be one of {options.ToJsonString()}");
        if (s.TryGetPropertyValue("const", out var constant) && !JsonNode.DeepEquals(constant, v))
            errors.Add($"{path}: must be {constant?.ToJsonString() ?? "null"}");

        switch (v)
        {
            case JsonObject obj:
                var props = s["properties"] as JsonObject;
                foreach (var r in s["required"] as JsonArray ?? [])
                {
                    var name = r!.GetValue<string>();
                    if (!obj.ContainsKey(name))
                        errors.Add($"{path}: missing required property '{name}'");
                }
                foreach (var (name, child) in obj)
                {
                    if (props?[name] is JsonObject ps)
                        Validate(ps, child, $"{path}.{name}", errors, depth + 1);
                    else if (s["additionalProperties"] is JsonObject extra)
                        Validate(extra, child, $"{path}.{name}", errors, depth + 1);
                    else if (s["additionalProperties"]?.GetValueKind() == JsonValueKind.False)
                        errors.Add($"{path}: property '{name}' is not allowed");
                }
                if (Int(s, "minProperties") is { } minP && obj.Count < minP) errors.Add($"{path}: needs at least {minP} properties");
                if (Int(s, "maxProperties") is { } maxP && obj.Count > maxP) errors.Add($"{path}: allows at most {maxP} properties");
                break;
            case JsonArray arr:
                if (Int(s, "minItems") is { } minI && arr.Count < minI) errors.Add($"{path}: needs at least {minI} items, has {arr.Count}");
                if (Int(s, "maxItems") is { } maxI && arr.Count > maxI) errors.Add($"{path}: allows at most {maxI} items, has {arr.Count}");
                if (s["items"] is JsonObject items)
                {
                    for (var i = 0; i < arr.Count; i++)
                        Validate(items, arr[i], $"{path}[{i}]", errors, depth + 1);
                }
                if (s["uniqueItems"]?.GetValueKind() == JsonValueKind.True)
                {
                    for (var i = 0; i < arr.Count; i++)
                        for (var j = i + 1; j < arr.Count; j++)
                            if (JsonNode.DeepEquals(arr[i], arr[j])) errors.Add($"{path}: items {i} and {j} are equal");
                }
                break;
            case JsonValue when kind == JsonValueKind.String:
                var str = v.GetValue<string>();
                var length = new StringInfo(str).LengthInTextElements;
                if (Int(s, "minLength") is { } minL && length < minL) errors.Add($"{path}: needs at least {minL} characters");
                if (Int(s, "maxLength") is { } maxL && length > maxL) errors.Add($"{path}: allows at most {maxL} characters");
                if (s["pattern"]?.GetValue<string>() is { } pattern && !Regex.IsMatch(str, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
                    errors.Add($"{path}: does not match pattern {pattern}");
                break;
            case JsonValue when kind == JsonValueKind.Number:
                var number = Number(v);
                if (Num(s, "minimum") is { } min && number < min) errors.Add($"{path}: must be at least {min}");
                if (Num(s, "maximum") is { } max && number > max) errors.Add($"{path}: must be at most {max}");
                if (Num(s, "exclusiveMinimum") is { } emin && number <= emin) errors.Add($"{path}: must be more than {emin}");
                if (Num(s, "exclusiveMaximum") is { } emax && number >= emax) errors.Add($"{path}: must be less than {emax}");
                break;
        }

        if (s["allOf"] is JsonArray all)
        {
            foreach (var sub in all)
                Validate((JsonObject)sub!, v, path, errors, depth + 1);
        }
        if (s["anyOf"] is JsonArray any && !any.Any(sub => Matches((JsonObject)sub!, v, depth)))
            errors.Add($"{path}: matches none of the anyOf schemas");
        if (s["oneOf"] is JsonArray one)
        {
            var matched = one.Count(sub => Matches((JsonObject)sub!, v, depth));
            if (matched != 1)
                errors.Add($"{path}: must match exactly one of the oneOf schemas, matches {matched}");
        }
    }

    private bool Matches(JsonObject s, JsonNode? v, int depth)
    {
        var errors = new List<string>();
        Validate(s, v, "$", errors, depth + 1);
        return errors.Count == 0;
    }

    private static bool Is(string type, JsonNode? v, JsonValueKind kind) => type switch
    {
        "object" => kind == JsonValueKind.Object,
        "array" => kind == JsonValueKind.Array,
        "string" => kind == JsonValueKind.String,
        "number" => kind == JsonValueKind.Number,
        "integer" => kind == JsonValueKind.Number && Math.Abs(Number(v!) % 1) == 0,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "null" => kind == JsonValueKind.Null,
        _ => false,
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => kind.ToString().ToLowerInvariant(),
    };

    // Numbers may be backed by any CLR numeric type (parsed documents hold JsonElements, built ones ints or doubles).
    private static double Number(JsonNode v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int? Int(JsonObject s, string key) => s[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (int)Number(v) : null;

    private static double? Num(JsonObject s, string key) => s[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? Number(v) : null;

    /// <summary>
    /// Reads the JSON a model produced: the whole text, or the body of a fenced code block when the model wrapped it
    /// in one. Null when neither parses.
    /// </summary>
    public static JsonNode? ParseOutput(string text, out string? error)
    {
        error = null;
        var candidate = text.Trim();
        if (candidate.StartsWith("```", StringComparison.Ordinal))
        {
            var firstNewline = candidate.IndexOf('\n', StringComparison.Ordinal);
            var fenceEnd = candidate.LastIndexOf("```", StringComparison.Ordinal);
            if (firstNewline > 0 && fenceEnd > firstNewline)
                candidate = candidate[(firstNewline + 1)..fenceEnd].Trim();
        }
        try
        {
            return JsonNode.Parse(candidate) ?? JsonValue.Create((string?)null);
        }
        catch (JsonException ex)
        {
            error = $"the output is not JSON ({ex.Message.Split('.')[0]})";
            return null;
        }
    }
}
