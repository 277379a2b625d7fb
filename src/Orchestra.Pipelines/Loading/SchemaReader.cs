using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Pipelines;

/// <summary>
/// Typed reads of the JSON a YAML file became, each reporting a wrong type or an unknown key at its
/// <c>file:line:column</c> into a <see cref="DiagnosticBag"/> and returning null so that reading goes on.
/// </summary>
internal sealed class SchemaReader(DiagnosticBag bag)
{
    public DiagnosticBag Bag { get; } = bag;

    /// <summary>The mapping at <paramref name="at"/>, with keys outside <paramref name="keys"/> reported; null when it is not a mapping.</summary>
    public JsonObject? Mapping(JsonNode? node, string at, string what, IReadOnlyCollection<string> keys)
    {
        if (node is not JsonObject obj)
        {
            Bag.Error(at, $"{what} must be a mapping of {string.Join(", ", keys.Take(6))}{(keys.Count > 6 ? ", ..." : "")}, not {Describe(node)}.");
            return null;
        }
        UnknownKeys(obj, at, what, keys);
        return obj;
    }

    /// <summary>Reports each key of <paramref name="obj"/> that is not in <paramref name="keys"/>, suggesting the nearest known one.</summary>
    public void UnknownKeys(JsonObject obj, string at, string what, IReadOnlyCollection<string> keys)
    {
        foreach (var (key, _) in obj)
        {
            if (keys.Contains(key))
                continue;
            var near = Suggest(key, keys);
            Bag.Error($"{at}.{key}", near is null
                ? $"unknown key '{key}' in {what}. Known keys: {string.Join(", ", keys)}."
                : $"unknown key '{key}' in {what}: did you mean '{near}'? Known keys: {string.Join(", ", keys)}.");
        }
    }

    /// <summary>Entries of a mapping whose keys are names (agents, nodes, inputs, ...), with invalid names reported.</summary>
    public IEnumerable<(string Name, JsonNode? Value, string At)> Named(JsonObject? parent, string parentAt, string key, string what)
    {
        if (parent is null || !parent.TryGetPropertyValue(key, out var node) || node is null)
            yield break;
        var at = $"{parentAt}.{key}";
        if (node is not JsonObject map)
        {
            Bag.Error(at, $"'{key}' must be a mapping of {what} names to their settings, not {Describe(node)}.");
            yield break;
        }
        foreach (var (name, value) in map)
        {
            var itemAt = $"{at}.{name}";
            if (!Ids.IsValidName(name) || name is "START" or "END")
            {
                Bag.Error(itemAt, name is "START" or "END"
                    ? $"'{name}' is reserved for the graph's {(name == "START" ? "entry" : "exit")}: give the {what} another name."
                    : $"'{name}' is not a valid {what} name: use letters, digits, '-', '_' or '.' (at most 64, starting with a letter or digit).");
                continue;
            }
            yield return (name, value, itemAt);
        }
    }

    public string? String(JsonObject? obj, string key, string at, bool required = false, string? hint = null)
    {
        if (!TryGet(obj, key, out var node))
        {
            if (required)
                Bag.Error(at, $"missing '{key}:'{(hint is null ? "." : $": {hint}")}");
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>();
        Bag.Error($"{at}.{key}", $"'{key}' must be text, not {Describe(node)}{(hint is null ? "." : $": {hint}")}");
        return null;
    }

    public bool? Bool(JsonObject? obj, string key, string at)
    {
        if (!TryGet(obj, key, out var node))
            return null;
        if (node?.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            return node.GetValue<bool>();
        Bag.Error($"{at}.{key}", $"'{key}' must be true or false, not {Describe(node)}.");
        return null;
    }

    public int? Int(JsonObject? obj, string key, string at, int min)
    {
        if (!TryGet(obj, key, out var node))
            return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && d % 1 == 0 && d >= min && d <= int.MaxValue)
            return (int)d;
        Bag.Error($"{at}.{key}", $"'{key}' must be a whole number of at least {min}, not {Describe(node)}.");
        return null;
    }

    public TimeSpan? Duration(JsonObject? obj, string key, string at)
    {
        if (!TryGet(obj, key, out var node))
            return null;
        var text = node is JsonValue v ? v.ToString() : null;
        if (text is not null && Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
            return value;
        Bag.Error($"{at}.{key}", $"'{(text ?? Describe(node))}' is not a positive duration for '{key}': use forms like 500ms, 30s, 20m, 1h30m or 7d.");
        return null;
    }

    /// <summary>A name or a list of names (<c>to: a</c> or <c>to: [a, b]</c>).</summary>
    public IReadOnlyList<string>? Names(JsonObject? obj, string key, string at, string what)
    {
        if (!TryGet(obj, key, out var node))
            return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return [v.GetValue<string>()];
        if (node is JsonArray list && list.Count > 0 && list.All(n => n?.GetValueKind() == JsonValueKind.String))
        {
            var names = list.Select(n => n!.GetValue<string>()).ToList();
            var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null)
                Bag.Error($"{at}.{key}", $"'{twice.Key}' is listed twice in '{key}'.");
            return names;
        }
        Bag.Error($"{at}.{key}", $"'{key}' must be {what} or a non-empty list of them, not {Describe(node)}.");
        return null;
    }

    /// <summary>A list of text values.</summary>
    public IReadOnlyList<string>? StringList(JsonObject? obj, string key, string at)
    {
        if (!TryGet(obj, key, out var node))
            return null;
        if (node is JsonArray list && list.All(n => n?.GetValueKind() == JsonValueKind.String))
            return list.Select(n => n!.GetValue<string>()).ToList();
        Bag.Error($"{at}.{key}", $"'{key}' must be a list of names such as [read_file, search_code], not {Describe(node)}.");
        return null;
    }

    /// <summary>One of a fixed set of words.</summary>
    public T? Enum<T>(JsonObject? obj, string key, string at, params (string Word, T Value)[] choices) where T : struct
    {
        if (!TryGet(obj, key, out var node))
            return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var word = v.GetValue<string>();
            foreach (var (w, value) in choices)
            {
                if (w == word)
                    return value;
            }
        }
        var text = node is JsonValue s && s.GetValueKind() == JsonValueKind.String ? $"'{s.GetValue<string>()}'" : Describe(node);
        Bag.Error($"{at}.{key}", $"{text} is not a valid '{key}': use {string.Join(" or ", choices.Select(c => c.Word))}.");
        return null;
    }

    public static bool TryGet(JsonObject? obj, string key, out JsonNode? node)
    {
        node = null;
        if (obj is null || !obj.TryGetPropertyValue(key, out node))
            return false;
        // A key written with no value ('timeout:') reads as absent.
        return node is not null;
    }

    /// <summary>What a value is, for messages: "a list", "the number 3", "text 'abc'".</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "empty",
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the text '{Cut(v.GetValue<string>())}'",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"{v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };

    private static string Cut(string s) => s.Length <= 40 ? s : s[..37] + "...";

    /// <summary>The known word closest to <paramref name="word"/> within two edits, or null.</summary>
    public static string? Suggest(string word, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = 3;
        foreach (var k in known)
        {
            var d = Distance(word, k);
            // Two edits make a different word out of a short one ('zz' is not a typo of 'a').
            if (d < bestDistance && (d <= 1 || word.Length >= 4))
            {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
