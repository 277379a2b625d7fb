using Orchestra.Core.Graphs;
using Orchestra.Pipelines.Conditions;
using Orchestra.Pipelines.Model;

namespace Orchestra.Pipelines;

/// <summary>An edge with its parsed condition, as the analysis sees it.</summary>
internal sealed record AnalysisEdge(PipelineEdge Edge, Condition? Condition)
{
    public IReadOnlyList<string> From => Edge.From;

    public IReadOnlyList<string> To => Edge.To;

    /// <summary>Fires every time its sources complete: no condition and no loop bound that can run out.</summary>
    public bool Guaranteed => Condition is null && Edge.MaxLoops is null;

    /// <summary>What its firing can start: its targets, and its fallback once the bound is spent.</summary>
    public IEnumerable<string> Activates => Edge.Fallback is { } f ? Edge.To.Append(f) : Edge.To;
}

/// <summary>Graph questions the semantic checks ask: reachability, unbounded loops, joins that cannot fire, parallel nodes.</summary>
internal sealed class GraphAnalysis
{
    private const string Start = GraphDefinition.Start;
    private const string End = GraphDefinition.End;

    private readonly IReadOnlyList<string> _nodes;
    private readonly IReadOnlyList<AnalysisEdge> _edges;
    private readonly Dictionary<string, HashSet<string>> _descendants = new(StringComparer.Ordinal);

    public GraphAnalysis(IReadOnlyList<string> nodes, IReadOnlyList<AnalysisEdge> edges)
    {
        _nodes = nodes;
        _edges = edges;
    }

    /// <summary>Nodes no path from START leads to.</summary>
    public IReadOnlyList<string> Unreachable()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { Start };
        var queue = new Queue<string>([Start]);
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            foreach (var e in _edges.Where(e => e.From.Contains(n)))
            {
                foreach (var t in e.Activates.Where(seen.Add))
                    queue.Enqueue(t);
            }
        }
        return _nodes.Where(n => !seen.Contains(n)).ToList();
    }

    /// <summary>
    /// A cycle that nothing bounds, as <c>a → b → a</c>, and the edge that closes it; null when every cycle has an
    /// edge with <c>max_loops</c>. A fallback counts as unbounded: it fires every time once its loop is spent.
    /// </summary>
    public (string Cycle, AnalysisEdge Edge)? UnboundedCycle()
    {
        var next = new Dictionary<string, List<(string To, AnalysisEdge Edge)>>(StringComparer.Ordinal);
        foreach (var e in _edges)
        {
            var targets = e.Edge.MaxLoops is null ? e.To : e.Edge.Fallback is { } f ? [f] : [];
            foreach (var from in e.From)
            {
                if (!next.TryGetValue(from, out var list))
                    next[from] = list = [];
                list.AddRange(targets.Select(t => (t, e)));
            }
        }
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        (string, AnalysisEdge)? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var (m, edge) in next.GetValueOrDefault(n) ?? [])
            {
                var s = state.GetValueOrDefault(m);
                if (s == 1)
                    return (string.Join(" → ", path.Skip(path.IndexOf(m)).Append(m)), edge);
                if (s == 0 && Visit(m) is { } found)
                    return found;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in new[] { Start }.Concat(_nodes))
        {
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } cycle)
                return cycle;
        }
        return null;
    }

    /// <summary>
    /// For a <c>join: all</c> edge, the sources that cannot be counted on to arrive in the same wave as the others,
    /// or an empty list when some node (or START) starts all of them through edges that always fire.
    /// </summary>
    public IReadOnlyList<string> JoinMisses(AnalysisEdge join)
    {
        List<string>? best = null;
        foreach (var candidate in new[] { Start }.Concat(_nodes))
        {
            var closure = Guaranteed(candidate);
            var missing = join.From.Where(f => !closure.Contains(f)).ToList();
            if (missing.Count == 0)
                return [];
            if (best is null || missing.Count < best.Count)
                best = missing;
        }
        return best ?? join.From;
    }

    /// <summary>Nodes certain to run once <paramref name="origin"/> has: followed through edges that always fire.</summary>
    private HashSet<string> Guaranteed(string origin)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { origin };
        bool changed;
        do
        {
            changed = false;
            foreach (var e in _edges.Where(e => e.Guaranteed))
            {
                var fires = e.From.Count > 1 && e.Edge.Join == JoinMode.Any ? e.From.Any(set.Contains) : e.From.All(set.Contains);
                if (!fires)
                    continue;
                foreach (var t in e.To)
                    changed |= t != End && set.Add(t);
            }
        }
        while (changed);
        return set;
    }

    /// <summary>The nodes upstream of <paramref name="node"/>: those whose outputs can exist when it starts.</summary>
    public HashSet<string> Upstream(string node)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([node]);
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            foreach (var e in _edges.Where(e => e.Activates.Contains(n)))
            {
                foreach (var f in e.From.Where(f => f != Start && seen.Add(f)))
                    queue.Enqueue(f);
            }
        }
        return seen;
    }

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> can run at the same time: one firing starts two
    /// branches (a fan-out, or two edges of one node that are not exclusive) with one node on each, and neither
    /// node leads to the other without passing a loop edge.
    /// </summary>
    public bool MayRunTogether(string a, string b)
    {
        if (a == b || Descendants(a).Contains(b) || Descendants(b).Contains(a))
            return false;
        foreach (var fork in new[] { Start }.Concat(_nodes))
        {
            var outgoing = _edges.Where(e => e.From.Contains(fork)).ToList();
            for (var i = 0; i < outgoing.Count; i++)
            {
                for (var j = i; j < outgoing.Count; j++)
                {
                    if (i != j && Exclusive(outgoing[i], outgoing[j]))
                        continue;
                    foreach (var t1 in outgoing[i].To)
                    {
                        foreach (var t2 in outgoing[j].To.Where(t => t != t1))
                        {
                            if ((Descendants(t1).Contains(a) && Descendants(t2).Contains(b)) || (Descendants(t1).Contains(b) && Descendants(t2).Contains(a)))
                                return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /// <summary>Two edges testing one path against different values (or naming different routes) never both fire.</summary>
    private static bool Exclusive(AnalysisEdge x, AnalysisEdge y) =>
        x.Condition is { } cx && y.Condition is { } cy
        && cx.TryGetEquality(out var px, out var vx) && cy.TryGetEquality(out var py, out var vy)
        && px == py && !Equals(vx, vy);

    /// <summary>A node and everything after it through edges without a loop bound (those cannot form cycles here).</summary>
    private HashSet<string> Descendants(string node)
    {
        if (_descendants.TryGetValue(node, out var cached))
            return cached;
        var seen = new HashSet<string>(StringComparer.Ordinal) { node };
        var queue = new Queue<string>([node]);
        while (queue.Count > 0)
        {
            var n = queue.Dequeue();
            foreach (var e in _edges.Where(e => e.Edge.MaxLoops is null && e.From.Contains(n)))
            {
                foreach (var t in e.To.Where(seen.Add))
                    queue.Enqueue(t);
            }
        }
        _descendants[node] = seen;
        return seen;
    }
}
