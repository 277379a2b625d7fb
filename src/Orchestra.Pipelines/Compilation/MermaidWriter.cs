using System.Globalization;
using System.Text;
using Orchestra.Core.Graphs;

namespace Orchestra.Pipelines;

/// <summary>Writes a compiled pipeline as a Mermaid <c>flowchart</c>.</summary>
internal static class MermaidWriter
{
    public static string Write(CompiledPipeline pipeline)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [GraphDefinition.Start] = "START",
            [GraphDefinition.End] = "END",
        };
        var sb = new StringBuilder();
        sb.AppendLine("flowchart TD");
        sb.AppendLine("  START([START])");
        for (var i = 0; i < pipeline.Nodes.Count; i++)
        {
            var node = pipeline.Nodes[i];
            var id = ids[node.Name] = "n" + i.ToString(CultureInfo.InvariantCulture);
            var agent = node.Agent.Kind is { } kind ? $"{node.Agent.Name} · {kind}" : node.Agent.Name;
            var approve = node.Approve ? "<br/>approve" : "";
            sb.Append(CultureInfo.InvariantCulture, $"  {id}[\"{Escape(node.Name)}<br/><small>{Escape(agent)}</small>{approve}\"]").AppendLine();
        }
        if (pipeline.Edges.Any(e => e.To.Contains(GraphDefinition.End) || e.Fallback == GraphDefinition.End))
            sb.AppendLine("  END([END])");
        foreach (var e in pipeline.Edges)
        {
            var from = string.Join(" & ", e.From.Select(f => ids[f]));
            var to = string.Join(" & ", e.To.Select(t => ids[t]));
            var label = new List<string>();
            if (e.From.Count > 1)
                label.Add(e.Join == JoinMode.All ? "all" : "any");
            if (e.Condition is { } condition)
                label.Add(condition.Text);
            if (e.MaxLoops is { } max)
                label.Add(string.Create(CultureInfo.InvariantCulture, $"max {max}"));
            if (e.Approve)
                label.Add("approve");
            sb.Append(CultureInfo.InvariantCulture, $"  {from} -->{Label(label)} {to}").AppendLine();
            if (e.Fallback is { } fallback)
                sb.Append(CultureInfo.InvariantCulture, $"  {from} -.->|\"after {e.MaxLoops} loops\"| {ids[fallback]}").AppendLine();
        }
        return sb.ToString();
    }

    private static string Label(List<string> parts) => parts.Count == 0 ? "" : $"|\"{Escape(string.Join(" · ", parts))}\"|";

    private static string Escape(string text) => text
        .Replace("&", "#amp;", StringComparison.Ordinal)
        .Replace("\"", "#quot;", StringComparison.Ordinal)
        .Replace("<", "#lt;", StringComparison.Ordinal)
        .Replace(">", "#gt;", StringComparison.Ordinal)
        .Replace("|", "#124;", StringComparison.Ordinal)
        .ReplaceLineEndings(" ");
}
