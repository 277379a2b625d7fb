using System.Text.Json.Nodes;

namespace Orchestra.Core.State;

/// <summary>Applies a step's state delta to a run's JSON state document through per-key reducers.</summary>
public static class StateDocument
{
    /// <summary>
    /// Returns a new document: <paramref name="state"/> with each top-level key of <paramref name="delta"/>
    /// combined by that key's reducer (<see cref="Reducer.Replace"/> when none is declared).
    /// Neither argument is modified.
    /// </summary>
    public static JsonObject Apply(JsonObject state, JsonObject? delta, IReadOnlyDictionary<string, Reducer>? reducers = null)
    {
        if (delta is null)
            return (JsonObject)state.DeepClone();
        // A key the delta changes is reduced from the original value, which the reducer copies as it needs: copying it
        // first as well would copy a growing list twice on every append.
        var result = new JsonObject();
        foreach (var (key, value) in state)
            result[key] = delta.TryGetPropertyValue(key, out var update) ? Reduce(ReducerOf(key), value, update) : value?.DeepClone();
        foreach (var (key, update) in delta)
        {
            if (!state.ContainsKey(key))
                result[key] = Reduce(ReducerOf(key), null, update);
        }
        return result;

        Reducer ReducerOf(string key) => reducers is not null && reducers.TryGetValue(key, out var r) ? r : Reducer.Replace;
    }

    /// <summary>Combines one value.</summary>
    public static JsonNode? Reduce(Reducer reducer, JsonNode? current, JsonNode? update) => reducer switch
    {
        Reducer.Replace => update?.DeepClone(),
        Reducer.Append => Append(current, update),
        Reducer.Merge => Merge(current, update),
        _ => throw new ArgumentOutOfRangeException(nameof(reducer)),
    };

    private static JsonArray Append(JsonNode? current, JsonNode? update)
    {
        var list = current switch
        {
            JsonArray a => (JsonArray)a.DeepClone(),
            null => [],
            _ => [current.DeepClone()],
        };
        if (update is JsonArray items)
        {
            foreach (var item in items)
                list.Add(item?.DeepClone());
        }
        else
        {
            list.Add(update?.DeepClone());
        }
        return list;
    }

    private static JsonNode? Merge(JsonNode? current, JsonNode? update)
    {
        if (current is not JsonObject left || update is not JsonObject right)
            return update?.DeepClone();
        var merged = (JsonObject)left.DeepClone();
        foreach (var (key, value) in right)
            merged[key] = Merge(merged[key], value);
        return merged;
    }

    /// <summary>Parses a reducer name (<c>replace</c>, <c>append</c>, <c>merge</c>).</summary>
    public static bool TryParse(string? name, out Reducer reducer)
    {
        switch (name?.ToLowerInvariant())
        {
            case "replace": reducer = Reducer.Replace; return true;
            case "append": reducer = Reducer.Append; return true;
            case "merge": reducer = Reducer.Merge; return true;
            default: reducer = Reducer.Replace; return false;
        }
    }
}
