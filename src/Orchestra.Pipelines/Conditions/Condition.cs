using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core.Graphs;

namespace Orchestra.Pipelines.Conditions;

/// <summary>A path a condition reads, for compile-time checks.</summary>
/// <param name="Root"><c>state</c>, <c>outputs</c>, <c>inputs</c> or <c>route</c>.</param>
/// <param name="Name">The first name after the root (the node, input or state field), or null.</param>
/// <param name="Text">The path as written.</param>
/// <param name="Column">Where it starts in the condition, from 1.</param>
public sealed record ConditionPath(string Root, string? Name, string Text, int Column);

/// <summary>
/// A parsed edge condition over the run's state, the outputs of completed nodes, the inputs and the route the
/// last agent chose. The grammar is in docs/pipelines.md; a condition that is one word is a route name.
/// </summary>
public sealed class Condition
{
    private readonly Expr _root;

    private Condition(string text, Expr root, string? route)
    {
        Text = text;
        _root = root;
        RouteName = route;
        var paths = new List<ConditionPath>();
        Collect(root, paths);
        Paths = paths;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>The route name when the condition is one word (<c>condition: revise</c>); otherwise null.</summary>
    public string? RouteName { get; }

    /// <summary>The paths the condition reads.</summary>
    public IReadOnlyList<ConditionPath> Paths { get; }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="ConditionSyntaxException">It does not parse; the exception names the column.</exception>
    public static Condition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = ConditionParser.Parse(text, out var route);
        return new Condition(text, root, route);
    }

    /// <summary>Whether the condition holds in <paramref name="context"/>.</summary>
    public bool Evaluate(GraphContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Truthy(Eval(_root, context));
    }

    /// <summary>
    /// True when the condition is <c>path == literal</c> (or a route name): <paramref name="path"/> and
    /// <paramref name="value"/> say which. Two edges from one node testing the same path against different
    /// literals never both fire.
    /// </summary>
    internal bool TryGetEquality(out string path, out object? value)
    {
        if (_root is BinaryExpr { Operator: BinaryOperator.Equal } b)
        {
            if (b is { Left: PathExpr p, Right: LiteralExpr l } || b is { Left: LiteralExpr l2, Right: PathExpr p2 } && (p = p2) is not null && (l = l2) is not null)
            {
                path = Canonical(p);
                value = l.Value;
                return true;
            }
        }
        path = "";
        value = null;
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string Canonical(PathExpr p) =>
        p.Root + string.Concat(p.Segments.Select(s => s is int i ? $"[{i.ToString(CultureInfo.InvariantCulture)}]" : $".{s}"));

    private static void Collect(Expr e, List<ConditionPath> paths)
    {
        switch (e)
        {
            case PathExpr p:
                paths.Add(new ConditionPath(p.Root, p.Segments.Count > 0 ? p.Segments[0] as string : null, p.Text, p.Column));
                break;
            case ListExpr l:
                foreach (var item in l.Items)
                    Collect(item, paths);
                break;
            case NotExpr n:
                Collect(n.Operand, paths);
                break;
            case BinaryExpr b:
                Collect(b.Left, paths);
                Collect(b.Right, paths);
                break;
        }
    }

    // Values while evaluating: null, bool, double, string, JsonArray or JsonObject.
    private static object? Eval(Expr e, GraphContext c) => e switch
    {
        LiteralExpr l => l.Value,
        PathExpr p => Resolve(p, c),
        ListExpr l => l.Items.Select(i => Eval(i, c)).ToList(),
        NotExpr n => !Truthy(Eval(n.Operand, c)),
        BinaryExpr { Operator: BinaryOperator.And } b => Truthy(Eval(b.Left, c)) && Truthy(Eval(b.Right, c)),
        BinaryExpr { Operator: BinaryOperator.Or } b => Truthy(Eval(b.Left, c)) || Truthy(Eval(b.Right, c)),
        BinaryExpr b => Compare(b.Operator, Eval(b.Left, c), Eval(b.Right, c)),
        _ => throw new InvalidOperationException($"unknown expression {e.GetType().Name}"),
    };

    private static bool Compare(BinaryOperator op, object? left, object? right) => op switch
    {
        BinaryOperator.Equal => ValuesEqual(left, right),
        BinaryOperator.NotEqual => !ValuesEqual(left, right),
        BinaryOperator.Less => Order(left, right) is < 0,
        BinaryOperator.LessOrEqual => Order(left, right) is <= 0,
        BinaryOperator.Greater => Order(left, right) is > 0,
        BinaryOperator.GreaterOrEqual => Order(left, right) is >= 0,
        BinaryOperator.In => Contains(right, left),
        BinaryOperator.Contains => Contains(left, right),
        _ => false,
    };

    /// <summary>Numbers with numbers, text with text (ordinal); anything else does not compare (null).</summary>
    private static int? Order(object? left, object? right) => (left, right) switch
    {
        (double a, double b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => null,
    };

    /// <summary>A list holds an equal item; text holds a substring; a mapping holds a key.</summary>
    private static bool Contains(object? container, object? item) => container switch
    {
        List<object?> list => list.Any(x => ValuesEqual(x, item)),
        JsonArray array => array.Any(x => ValuesEqual(FromJson(x), item)),
        string s => item is string sub && s.Contains(sub, StringComparison.Ordinal),
        JsonObject o => item is string key && o.ContainsKey(key),
        _ => false,
    };

    private static bool ValuesEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (double x, double y) => x.Equals(y),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (bool x, bool y) => x == y,
        (List<object?> x, _) => ValuesEqual(ToJson(x), b),
        (_, List<object?> y) => ValuesEqual(a, ToJson(y)),
        (JsonNode x, JsonNode y) => JsonNode.DeepEquals(x, y),
        _ => false,
    };

    private static JsonArray ToJson(List<object?> list) => new(list.Select(v => v switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        List<object?> l => ToJson(l),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        string s => (JsonNode?)JsonValue.Create(s),
        _ => null,
    }).ToArray());

    /// <summary>Null, false, 0, "" and [] are false; everything else is true.</summary>
    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        JsonArray a => a.Count > 0,
        _ => true,
    };

    private static object? Resolve(PathExpr p, GraphContext c)
    {
        JsonNode? node = p.Root switch
        {
            "state" => c.State,
            "inputs" => c.State["inputs"],
            "outputs" => c.Outputs,
            _ => null,
        };
        if (p.Root == "route")
            return Route(c);
        foreach (var segment in p.Segments)
        {
            node = (node, segment) switch
            {
                (JsonObject o, string key) => o[key],
                (JsonArray a, int index) => index < a.Count ? a[index] : null,
                _ => null,
            };
            if (node is null)
                return null;
        }
        return FromJson(node);
    }

    /// <summary>The route the agent returned, else a <c>route</c> field of its structured output.</summary>
    private static string? Route(GraphContext c)
    {
        if (c.Route is not null)
            return c.Route;
        return c.FromNode is { } from && c.Outputs[from] is JsonObject o && o["route"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : null;
    }

    private static object? FromJson(JsonNode? node)
    {
        if (node is not JsonValue v)
            return node;
        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        };
    }
}
