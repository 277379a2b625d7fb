namespace Orchestra.Core.Engine;

/// <summary>Orders nodes so that every node comes after its dependencies, or finds a cycle. Iterative, so deep chains are safe.</summary>
public static class DependencyOrder
{
    /// <summary>
    /// Sorts nodes <c>0..count-1</c> where <paramref name="dependencies"/> gives the nodes each one needs first.
    /// Returns the order, or null with <paramref name="cycle"/> set to a cycle's nodes (first node repeated at the end).
    /// </summary>
    public static List<int>? Sort(int count, Func<int, IEnumerable<int>> dependencies, out List<int>? cycle)
    {
        var state = new byte[count];
        var order = new List<int>(count);
        var path = new List<int>();
        var stack = new Stack<IEnumerator<int>>();
        cycle = null;
        for (var start = 0; start < count; start++)
        {
            if (state[start] != 0) continue;
            state[start] = 1;
            path.Add(start);
            stack.Push(dependencies(start).GetEnumerator());
            while (stack.Count > 0)
            {
                var deps = stack.Peek();
                if (deps.MoveNext())
                {
                    var next = deps.Current;
                    if (state[next] == 1)
                    {
                        cycle = [.. path.Skip(path.IndexOf(next)), next];
                        foreach (var e in stack) e.Dispose();
                        return null;
                    }
                    if (state[next] == 0)
                    {
                        state[next] = 1;
                        path.Add(next);
                        stack.Push(dependencies(next).GetEnumerator());
                    }
                    continue;
                }
                stack.Pop().Dispose();
                var done = path[^1];
                path.RemoveAt(path.Count - 1);
                state[done] = 2;
                order.Add(done);
            }
        }
        return order;
    }
}
