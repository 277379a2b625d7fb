namespace Orchestra.Pipelines.Conditions;

/// <summary>A node of a parsed condition; <see cref="Column"/> counts from 1 in the condition's text.</summary>
internal abstract record Expr(int Column);

/// <summary>A string, number (double), boolean or null.</summary>
internal sealed record LiteralExpr(object? Value, int Column) : Expr(Column);

/// <summary>
/// A path such as <c>outputs.critic.verdict</c>: a root (<c>state</c>, <c>outputs</c>, <c>inputs</c> or
/// <c>route</c>) and segments, each a key (string) or a list index (int).
/// </summary>
internal sealed record PathExpr(string Root, IReadOnlyList<object> Segments, string Text, int Column) : Expr(Column);

/// <summary><c>[a, b, c]</c>.</summary>
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Column) : Expr(Column);

/// <summary><c>!operand</c>.</summary>
internal sealed record NotExpr(Expr Operand, int Column) : Expr(Column);

internal enum BinaryOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    Contains,
    And,
    Or,
}

/// <summary>A comparison, membership test or logical combination.</summary>
internal sealed record BinaryExpr(BinaryOperator Operator, Expr Left, Expr Right, int Column) : Expr(Column);
