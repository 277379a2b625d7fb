using System.Globalization;

namespace Orchestra.Benchmarks;

/// <summary>
/// The comparison table: per graph, LangGraph.js's per-step overhead divided by Orchestra's, in memory
/// (target at least 10) and durable (target at least 3).
/// </summary>
internal static class Comparison
{
    private sealed record Row(string Title, string OrchestraMode, string PeerMode, string PeerLabel, string AltMode, string AltLabel, double Target);

    private static readonly Row[] Rows =
    [
        // MemorySaver is the fair peer: Orchestra checkpoints every step, in memory too. No checkpointer is shown for reference.
        new("in memory", "memory", "memory", "MemorySaver", "none", "no checkpointer", 10),
        // "sync" durability writes the checkpoint before the next superstep, as Orchestra commits before successors run.
        new("durable", "sqlite", "sqlite", "SqliteSaver sync", "sqlite-async", "SqliteSaver async", 3),
    ];

    public static void Print(List<GraphResult> orchestra, List<GraphResult> peer)
    {
        Console.WriteLine("comparison: per-step overhead (median wall time of a run ÷ its node runs); ratio = LangGraph.js ÷ Orchestra");
        foreach (var row in Rows)
        {
            if (!orchestra.Any(r => r.Mode == row.OrchestraMode))
                continue;
            Console.WriteLine($"  {row.Title} (target: ratio ≥ {row.Target:0})");
            Console.WriteLine($"    {"graph",-7} {"Orchestra µs",13} {row.PeerLabel + " µs",22} {"ratio",7} {"",6} {row.AltLabel + " µs",22} {"ratio",7}");
            foreach (var o in orchestra.Where(r => r.Mode == row.OrchestraMode))
            {
                var p = peer.FirstOrDefault(r => r.Graph == o.Graph && r.Mode == row.PeerMode);
                var alt = peer.FirstOrDefault(r => r.Graph == o.Graph && r.Mode == row.AltMode);
                var ratio = p is null ? double.NaN : p.PerStepUs / o.PerStepUs;
                var verdict = double.IsNaN(ratio) ? "" : ratio >= row.Target ? "met" : "MISSED";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {o.Graph,-7} {o.PerStepUs,13:0.0} {p?.PerStepUs ?? double.NaN,22:0.0} {ratio,7:0.0}x {verdict,-6} {alt?.PerStepUs ?? double.NaN,22:0.0} {(alt is null ? double.NaN : alt.PerStepUs / o.PerStepUs),7:0.0}x"));
            }
        }
    }
}
