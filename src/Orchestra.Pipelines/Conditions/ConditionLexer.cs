using System.Globalization;
using System.Text;

namespace Orchestra.Pipelines.Conditions;

internal enum TokenKind
{
    End,
    Identifier,
    String,
    Number,
    Dot,
    Comma,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
    Not,
}

/// <summary>One token of a condition; <see cref="Column"/> counts from 1.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Column, object? Value = null);

/// <summary>Splits a condition into tokens.</summary>
internal static class ConditionLexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var column = i + 1;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '-'))
                    i++;
                // A name may hold '-' (node names do) but not end with one.
                while (text[i - 1] == '-')
                    i--;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], column));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i;
                i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.' || ((text[i] is 'e' or 'E') && i + 1 < text.Length) || ((text[i] is '+' or '-') && text[i - 1] is 'e' or 'E')))
                    i++;
                var literal = text[start..i];
                if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    throw new ConditionSyntaxException(text, column, $"'{literal}' is not a number");
                tokens.Add(new Token(TokenKind.Number, literal, column, number));
                continue;
            }
            if (c is '"' or '\'')
            {
                tokens.Add(ReadString(text, ref i));
                continue;
            }
            var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
            (TokenKind Kind, int Length)? op = two switch
            {
                "==" => (TokenKind.Equal, 2),
                "!=" => (TokenKind.NotEqual, 2),
                "<=" => (TokenKind.LessOrEqual, 2),
                ">=" => (TokenKind.GreaterOrEqual, 2),
                "&&" => (TokenKind.And, 2),
                "||" => (TokenKind.Or, 2),
                _ => c switch
                {
                    '<' => (TokenKind.Less, 1),
                    '>' => (TokenKind.Greater, 1),
                    '!' => (TokenKind.Not, 1),
                    '.' => (TokenKind.Dot, 1),
                    ',' => (TokenKind.Comma, 1),
                    '(' => (TokenKind.LeftParen, 1),
                    ')' => (TokenKind.RightParen, 1),
                    '[' => (TokenKind.LeftBracket, 1),
                    ']' => (TokenKind.RightBracket, 1),
                    _ => null,
                },
            };
            if (op is null)
            {
                var hint = c switch
                {
                    '=' => ": compare with '=='",
                    '&' => ": use '&&' for and",
                    '|' => ": use '||' for or",
                    _ => "",
                };
                throw new ConditionSyntaxException(text, column, $"unexpected '{c}'{hint}");
            }
            tokens.Add(new Token(op.Value.Kind, text.Substring(i, op.Value.Length), column));
            i += op.Value.Length;
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length + 1));
        return tokens;
    }

    private static Token ReadString(string text, ref int i)
    {
        var quote = text[i];
        var column = i + 1;
        var sb = new StringBuilder();
        i++;
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\')
            {
                if (i + 1 >= text.Length)
                    break;
                var escaped = text[i + 1];
                sb.Append(escaped switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\\' or '"' or '\'' => escaped,
                    _ => throw new ConditionSyntaxException(text, i + 1, $"unknown escape '\\{escaped}' (use \\\\, \\\", \\', \\n, \\t or \\r)"),
                });
                i += 2;
                continue;
            }
            sb.Append(text[i]);
            i++;
        }
        if (i >= text.Length)
            throw new ConditionSyntaxException(text, column, $"text starting here has no closing {quote}");
        i++;
        return new Token(TokenKind.String, text[(column - 1)..i], column, sb.ToString());
    }
}
