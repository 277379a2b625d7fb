using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.Core.Engine;

/// <summary>
/// One edit a fork applies to the checkpoint it starts from: a dotted path and a value. <c>outputs.&lt;node&gt;…</c>
/// edits a node's output in the graph bookkeeping (what conditions read as <c>outputs.…</c>); <c>state.&lt;key&gt;…</c>
/// or a bare <c>&lt;key&gt;…</c> edits the state document.
/// </summary>
/// <param name="Path">The dotted path, for example <c>verdict</c> or <c>outputs.critic.verdict</c>.</param>
/// <param name="Value">The value to set.</param>
public sealed record CheckpointEdit(string Path, JsonNode? Value)
{
    /// <summary>
    /// Parses <c>key=value</c>: the value is JSON when it parses as JSON (<c>3</c>, <c>true</c>, <c>{"a":1}</c>,
    /// <c>"text"</c>), otherwise the text itself.
    /// </summary>
    /// <exception cref="OrchestraException">There is no <c>=</c> or the path is empty or has an empty part.</exception>
    public static CheckpointEdit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var path = eq < 0 ? "" : text[..eq].Trim();
        if (eq < 0 || path.Length == 0 || path.Split('.').Any(p => p.Length == 0))
            throw new OrchestraException($"'{text}' is not an edit: write key=value, for example --set verdict=revise or --set outputs.critic.verdict=revise.", ErrorKind.Usage);
        var raw = text[(eq + 1)..];
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(raw);
        }
        return new CheckpointEdit(path, value);
    }

    /// <summary>Applies the edit to copies of <paramref name="state"/> or <paramref name="graph"/> (whichever its path names).</summary>
    /// <exception cref="OrchestraException">A part of the path is not an object.</exception>
    internal void Apply(JsonObject state, JsonObject graph)
    {
        var parts = Path.Split('.');
        JsonObject target;
        int first;
        if (parts[0] == "outputs" && parts.Length > 1)
        {
            target = graph["outputs"] as JsonObject ?? (JsonObject)(graph["outputs"] = new JsonObject());
            first = 1;
        }
        else
        {
            target = state;
            first = parts[0] == "state" && parts.Length > 1 ? 1 : 0;
        }
        for (var i = first; i < parts.Length - 1; i++)
        {
            var next = target[parts[i]];
            if (next is null)
            {
                next = new JsonObject();
                target[parts[i]] = next;
            }
            target = next as JsonObject
                ?? throw new OrchestraException($"Cannot set '{Path}': '{string.Join('.', parts[..(i + 1)])}' holds a {next.GetValueKind().ToString().ToLowerInvariant()}, not an object: set it whole instead.", ErrorKind.Usage);
        }
        target[parts[^1]] = Value?.DeepClone();
    }
}
