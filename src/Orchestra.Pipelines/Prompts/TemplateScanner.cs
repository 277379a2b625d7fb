using System.Text.RegularExpressions;

namespace Orchestra.Pipelines.Prompts;

/// <summary>A value a template reads: <c>pr_diff</c>, <c>outputs.critic.verdict</c>.</summary>
/// <param name="Path">The path as written, without a leading <c>this.</c>.</param>
/// <param name="Line">Its line in the template, from 1.</param>
/// <param name="Column">Its column in that line, from 1.</param>
public sealed record TemplateReference(string Path, int Line, int Column)
{
    /// <summary>The first name of the path.</summary>
    public string Root => Segments[0];

    /// <summary>The names of the path.</summary>
    public IReadOnlyList<string> Segments => Path.Split('.', '/');
}

/// <summary>
/// Lists the paths a Handlebars template reads, for the compile-time check of missing variables. It reads the
/// mustaches only (it renders nothing): paths inside <c>{{#each}}</c> and <c>{{#with}}</c> blocks, <c>this</c>,
/// <c>@</c> variables, <c>../</c> paths, literals and partials are skipped, since they depend on data seen when
/// the template runs.
/// </summary>
internal static partial class TemplateScanner
{
    private static readonly HashSet<string> BuiltInHelpers = new(StringComparer.Ordinal) { "if", "unless", "each", "with", "lookup", "log", "else", "json" };

    [GeneratedRegex("""("[^"]*"|'[^']*'|[^\s()]+)""")]
    private static partial Regex Tokens();

    public static IReadOnlyList<TemplateReference> Scan(string text)
    {
        var references = new List<TemplateReference>();
        // One entry per open block: true when paths inside it are relative to an item (each, with).
        var blocks = new Stack<bool>();
        var i = 0;
        while ((i = text.IndexOf("{{", i, StringComparison.Ordinal)) >= 0)
        {
            var start = i;
            var isComment = text.AsSpan(i + 2).TrimStart('~').StartsWith("!");
            var closeMarker = isComment && text.AsSpan(i + 2).TrimStart('~').StartsWith("!--") ? "--}}" : "}}";
            var end = text.IndexOf(closeMarker, i + 2, StringComparison.Ordinal);
            if (end < 0)
                break;
            i = end + closeMarker.Length;
            if (isComment)
                continue;
            var inner = text[(start + 2)..end].Trim('{', '}', '~', '&').Trim();
            if (inner.Length == 0)
                continue;
            var (line, column) = Position(text, start);
            var relative = blocks.Contains(true);
            switch (inner[0])
            {
                case '/':
                    if (blocks.Count > 0)
                        blocks.Pop();
                    continue;
                case '>':
                    continue;
                case '#' or '^':
                    var tokens = Split(inner[1..]);
                    if (tokens.Count == 0)
                        continue;
                    var helper = tokens[0];
                    if (inner[0] == '^' && tokens.Count == 1)
                    {
                        // {{^name}} is an inverted section over the value 'name'.
                        Add(references, helper, line, column, relative);
                        blocks.Push(false);
                        continue;
                    }
                    foreach (var arg in tokens.Skip(1))
                        Add(references, arg, line, column, relative);
                    blocks.Push(helper is "each" or "with");
                    continue;
            }
            var parts = Split(inner);
            if (parts.Count == 0 || parts[0] is "else" || parts[0].StartsWith("else ", StringComparison.Ordinal))
                continue;
            if (parts.Count == 1)
                Add(references, parts[0], line, column, relative);
            else
            {
                // {{helper arg1 arg2}}: the first word names a helper.
                if (!BuiltInHelpers.Contains(parts[0]))
                    Add(references, parts[0], line, column, relative, helperOnly: true);
                foreach (var arg in parts.Skip(1))
                    Add(references, arg, line, column, relative);
            }
        }
        return references;
    }

    private static List<string> Split(string s) => Tokens().Matches(s).Select(m => m.Value).ToList();

    private static void Add(List<TemplateReference> references, string token, int line, int column, bool relative, bool helperOnly = false)
    {
        if (relative || helperOnly)
            return;
        var eq = token.IndexOf('=');
        if (eq > 0)
            token = token[(eq + 1)..];
        if (token.Length == 0 || token[0] is '"' or '\'' or '@' or '[' or '.' || char.IsAsciiDigit(token[0]) || token[0] == '-')
            return;
        if (token is "this" or "true" or "false" or "null" or "undefined")
            return;
        if (token.StartsWith("this.", StringComparison.Ordinal) || token.StartsWith("this/", StringComparison.Ordinal))
            token = token[5..];
        if (token.Contains('[', StringComparison.Ordinal) || token.Contains("../", StringComparison.Ordinal))
            return;
        references.Add(new TemplateReference(token, line, column));
    }

    private static (int Line, int Column) Position(string text, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var k = 0; k < index; k++)
        {
            if (text[k] == '\n')
            {
                line++;
                lineStart = k + 1;
            }
        }
        return (line, index - lineStart + 1);
    }
}
