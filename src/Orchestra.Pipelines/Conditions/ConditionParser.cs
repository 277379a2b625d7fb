namespace Orchestra.Pipelines.Conditions;

/// <summary>
/// A recursive-descent parser for the condition grammar (see docs/pipelines.md):
/// <code>
/// condition  := or | ROUTE-NAME
/// or         := and ( "||" and )*
/// and        := unary ( "&amp;&amp;" unary )*
/// unary      := "!" unary | comparison
/// comparison := primary ( ( "==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=" | "in" | "contains" ) primary )?
/// primary    := STRING | NUMBER | "true" | "false" | "null" | path | list | "(" or ")"
/// list       := "[" ( primary ( "," primary )* )? "]"
/// path       := ROOT ( "." NAME | "[" NUMBER "]" | "[" STRING "]" )*      ROOT := state | outputs | inputs | route
/// </code>
/// </summary>
internal sealed class ConditionParser
{
    private static readonly string[] Roots = ["state", "outputs", "inputs", "route"];

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _position;

    private ConditionParser(string text)
    {
        _text = text;
        _tokens = ConditionLexer.Tokenize(text);
    }

    private Token Current => _tokens[_position];

    /// <summary>Parses a whole condition. A lone word (not true, false or null) is returned as a route name instead.</summary>
    public static Expr Parse(string text, out string? route)
    {
        route = null;
        var parser = new ConditionParser(text);
        if (parser._tokens.Count == 1)
            throw new ConditionSyntaxException(text, 1, "the condition is empty");
        if (parser._tokens.Count == 2 && parser._tokens[0] is { Kind: TokenKind.Identifier, Text: not ("true" or "false" or "null") } word)
        {
            route = word.Text;
            return new BinaryExpr(BinaryOperator.Equal,
                new PathExpr("route", [], "route", word.Column),
                new LiteralExpr(word.Text, word.Column), word.Column);
        }
        var expr = parser.ParseOr();
        if (parser.Current.Kind != TokenKind.End)
            throw parser.Error(parser.Current, parser.Current.Kind is TokenKind.Equal or TokenKind.NotEqual or TokenKind.Less or TokenKind.LessOrEqual or TokenKind.Greater or TokenKind.GreaterOrEqual
                ? $"unexpected '{parser.Current.Text}': compare one pair at a time and join comparisons with && or ||"
                : $"unexpected '{parser.Current.Text}' after a complete expression: join expressions with && or ||");
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.Kind == TokenKind.Or)
        {
            var op = Next();
            left = new BinaryExpr(BinaryOperator.Or, left, ParseAnd(), op.Column);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.And)
        {
            var op = Next();
            left = new BinaryExpr(BinaryOperator.And, left, ParseUnary(), op.Column);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Kind == TokenKind.Not)
        {
            var op = Next();
            return new NotExpr(ParseUnary(), op.Column);
        }
        return ParseComparison();
    }

    private Expr ParseComparison()
    {
        var left = ParsePrimary();
        BinaryOperator? op = Current.Kind switch
        {
            TokenKind.Equal => BinaryOperator.Equal,
            TokenKind.NotEqual => BinaryOperator.NotEqual,
            TokenKind.Less => BinaryOperator.Less,
            TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
            TokenKind.Greater => BinaryOperator.Greater,
            TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
            TokenKind.Identifier when Current.Text == "in" => BinaryOperator.In,
            TokenKind.Identifier when Current.Text == "contains" => BinaryOperator.Contains,
            _ => null,
        };
        if (op is null)
            return left;
        var token = Next();
        var right = ParsePrimary();
        if (op == BinaryOperator.In && right is not (ListExpr or PathExpr))
            throw Error(token, "'in' needs a list such as [\"a\", \"b\"] or a path to one on its right");
        return new BinaryExpr(op.Value, left, right, token.Column);
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.String or TokenKind.Number:
                Next();
                return new LiteralExpr(token.Value, token.Column);
            case TokenKind.LeftParen:
                Next();
                var inner = ParseOr();
                Expect(TokenKind.RightParen, "')' to close the '(' at column " + token.Column);
                return inner;
            case TokenKind.LeftBracket:
                return ParseList();
            case TokenKind.Identifier:
                return token.Text switch
                {
                    "true" => Literal(true),
                    "false" => Literal(false),
                    "null" => Literal(null),
                    "in" or "contains" => throw Error(token, $"'{token.Text}' needs a value on its left"),
                    _ => ParsePath(),
                };
            case TokenKind.End:
                throw Error(token, "the condition ends too early: a value or path is missing");
            default:
                throw Error(token, $"unexpected '{token.Text}': expected a value, a path such as outputs.critic.verdict, '(' or '['");
        }

        LiteralExpr Literal(object? value)
        {
            Next();
            return new LiteralExpr(value, token.Column);
        }
    }

    private ListExpr ParseList()
    {
        var open = Next();
        var items = new List<Expr>();
        if (Current.Kind != TokenKind.RightBracket)
        {
            while (true)
            {
                items.Add(ParsePrimary());
                if (Current.Kind != TokenKind.Comma)
                    break;
                Next();
            }
        }
        Expect(TokenKind.RightBracket, "']' or ',' in the list opened at column " + open.Column);
        return new ListExpr(items, open.Column);
    }

    private PathExpr ParsePath()
    {
        var root = Next();
        if (!Roots.Contains(root.Text))
            throw Error(root, $"unknown name '{root.Text}': paths start with state., outputs., inputs. or route, and text must be quoted (\"{root.Text}\")");
        var segments = new List<object>();
        while (true)
        {
            if (Current.Kind == TokenKind.Dot)
            {
                Next();
                if (Current.Kind != TokenKind.Identifier)
                    throw Error(Current, "a name must follow '.'");
                segments.Add(Next().Text);
            }
            else if (Current.Kind == TokenKind.LeftBracket)
            {
                var open = Next();
                var key = Next();
                if (key.Kind == TokenKind.String)
                    segments.Add((string)key.Value!);
                else if (key.Kind == TokenKind.Number && key.Value is double d && d >= 0 && d % 1 == 0 && d <= int.MaxValue)
                    segments.Add((int)d);
                else
                    throw Error(key, "expected a list index such as [0] or a quoted key such as [\"my.node\"]");
                Expect(TokenKind.RightBracket, "']' to close the '[' at column " + open.Column);
            }
            else
                break;
        }
        if (root.Text == "route" && segments.Count > 0)
            throw Error(root, "'route' is the route name the last agent chose and has no fields");
        if (root.Text is "outputs" or "inputs" && segments.Count == 0)
            throw Error(root, $"'{root.Text}' needs a name after it, such as {(root.Text == "outputs" ? "outputs.critic.verdict" : "inputs.base")}");
        var end = _tokens[_position - 1];
        return new PathExpr(root.Text, segments, _text[(root.Column - 1)..(end.Column - 1 + end.Text.Length)], root.Column);
    }

    private Token Next() => _tokens[_position++];

    private void Expect(TokenKind kind, string what)
    {
        if (Current.Kind != kind)
            throw Error(Current, Current.Kind == TokenKind.End ? $"the condition ends too early: expected {what}" : $"unexpected '{Current.Text}': expected {what}");
        Next();
    }

    private ConditionSyntaxException Error(Token at, string problem) => new(_text, at.Column, problem);
}
