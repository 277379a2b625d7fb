using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.Agents.Tools;

/// <summary>
/// The arguments of one call, checked against the tool's parameters. Values arrive as whatever the chat client
/// produced (<see cref="JsonElement"/> from a provider, plain .NET values from tests); a JSON <c>null</c> counts as
/// absent. Every problem is a <see cref="ToolException"/> that names the argument.
/// </summary>
internal sealed class ToolArguments
{
    private readonly string _tool;
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public ToolArguments(string tool, IEnumerable<KeyValuePair<string, object?>>? values, IReadOnlyList<ToolParameter> parameters)
    {
        _tool = tool;
        var known = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in values ?? [])
        {
            if (!known.Contains(key))
            {
                var takes = parameters.Count == 0 ? "it takes no arguments" : "it takes " + string.Join(", ", parameters.Select(p => p.Name));
                throw new ToolException($"unknown argument '{key}' for {tool}; {takes}");
            }
            if (!IsNull(value))
                _values[key] = value!;
        }
        foreach (var p in parameters.Where(p => p.Required && !_values.ContainsKey(p.Name)))
            throw new ToolException($"{tool} needs the argument '{p.Name}' ({p.Description})");
    }

    /// <summary>True when the argument was passed (and is not null).</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>A string argument, or null when absent.</summary>
    public string? String(string name) => _values.TryGetValue(name, out var v)
        ? v switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonValue j when j.TryGetValue<string>(out var s) => s,
            _ => throw Wrong(name, "a string"),
        }
        : null;

    /// <summary>A string argument that must be present and not blank.</summary>
    public string RequiredString(string name)
    {
        var value = String(name);
        return string.IsNullOrWhiteSpace(value) ? throw new ToolException($"{_tool} needs a non-empty '{name}'") : value;
    }

    /// <summary>A whole-number argument within [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
    public long? Integer(string name, long min, long max)
    {
        if (!_values.TryGetValue(name, out var v))
            return null;
        long? n = v switch
        {
            int i => i,
            long l => l,
            double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => (long)d,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var l) => l,
            JsonElement { ValueKind: JsonValueKind.String } e when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            JsonValue j when j.TryGetValue<long>(out var l) => l,
            JsonValue j when j.TryGetValue<int>(out var i) => i,
            _ => null,
        };
        if (n is null)
            throw Wrong(name, "a whole number");
        if (n < min || n > max)
            throw new ToolException($"argument '{name}' of {_tool} must be between {min} and {max}, not {n}");
        return n;
    }

    /// <summary>A boolean argument, or null when absent.</summary>
    public bool? Boolean(string name) => _values.TryGetValue(name, out var v)
        ? v switch
        {
            bool b => b,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            JsonElement { ValueKind: JsonValueKind.False } => false,
            JsonElement { ValueKind: JsonValueKind.String } e when bool.TryParse(e.GetString(), out var b) => b,
            string s when bool.TryParse(s, out var b) => b,
            JsonValue j when j.TryGetValue<bool>(out var b) => b,
            _ => throw Wrong(name, "true or false"),
        }
        : null;

    /// <summary>A list-of-strings argument, or null when absent.</summary>
    public IReadOnlyList<string>? StringArray(string name)
    {
        if (!_values.TryGetValue(name, out var v))
            return null;
        switch (v)
        {
            case JsonElement { ValueKind: JsonValueKind.Array } e:
                return e.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Wrong(name, "a list of strings")).ToList();
            case JsonArray a:
                return a.Select(item => item is JsonValue j && j.TryGetValue<string>(out var s) ? s : throw Wrong(name, "a list of strings")).ToList();
            case string:
                throw Wrong(name, "a list of strings");
            case IEnumerable items:
                return items.Cast<object?>().Select(item => item as string ?? (item is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString()! : throw Wrong(name, "a list of strings"))).ToList();
            default:
                throw Wrong(name, "a list of strings");
        }
    }

    /// <summary>Any scalar argument as text (numbers in invariant form, booleans as <c>true</c>/<c>false</c>), or null when absent.</summary>
    public string? Text(string name)
    {
        if (!_values.TryGetValue(name, out var v))
            return null;
        return v switch
        {
            string s => s,
            bool b => b ? "true" : "false",
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
            JsonElement { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            JsonValue j => j.TryGetValue<string>(out var s) ? s : j.ToJsonString(),
            _ => throw Wrong(name, "a string, number or boolean"),
        };
    }

    private static bool IsNull(object? value) =>
        value is null or JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined };

    private ToolException Wrong(string name, string expected) =>
        new($"argument '{name}' of {_tool} must be {expected}");
}
