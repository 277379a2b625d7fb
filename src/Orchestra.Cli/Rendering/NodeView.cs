using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Rendering;

/// <summary>One node of a graph run: its steps (one per activation) summed up.</summary>
internal sealed record NodeView(string Node, StepStatus Status, int Activations, int Attempts, Usage Usage, TimeSpan Time)
{
    /// <summary>The nodes of a graph run's steps, in the order they first ran.</summary>
    public static IReadOnlyList<NodeView> Of(IEnumerable<StepRecord> steps, DateTimeOffset now) =>
        steps.Where(s => s.Node is not null)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal)
            .GroupBy(s => s.Node!, StringComparer.Ordinal)
            .Select(g => new NodeView(
                g.Key,
                // The latest activation tells where the node stands now; one a replay set aside only when there is no other.
                g.LastOrDefault(s => s.Status != StepStatus.Superseded)?.Status ?? StepStatus.Superseded,
                g.Count(),
                g.Sum(s => s.Attempt),
                g.Aggregate(default(Usage), (u, s) => u + s.Usage),
                g.Aggregate(TimeSpan.Zero, (t, s) => t + (StepView.Duration(s, now) ?? TimeSpan.Zero))))
            .ToList();

    /// <summary>The per-node table: status, loop count (activations), tokens, cost and time.</summary>
    public static string Table(IEnumerable<NodeView> nodes, bool ansi, int width)
    {
        var table = new TextTable("NODE", "STATUS", ">RUNS", ">TIME", ">TOKENS", ">COST");
        foreach (var n in nodes)
        {
            table.AddRow(
                (n.Node, null),
                ($"{StepView.Icon(n.Status)} {n.Status.ToWire()}", StepView.Colour(n.Status)),
                (n.Activations.ToString(System.Globalization.CultureInfo.InvariantCulture), null),
                (Durations.Format(n.Time), null),
                (StepView.Tokens(n.Usage), null),
                (StepView.Cost(n.Usage), null));
        }
        return table.Render(ansi, width);
    }

    public JsonObject Json() => new()
    {
        ["node"] = Node,
        ["status"] = Status.ToWire(),
        ["activations"] = Activations,
        ["attempts"] = Attempts,
        ["usage"] = StepView.UsageJson(Usage),
        ["duration_ms"] = (long)Time.TotalMilliseconds,
    };
}
