using System.Text;
using System.Text.RegularExpressions;

namespace Orchestra.Agents.Tools;

/// <summary>
/// A file name pattern: <c>*</c> (any characters but <c>/</c>), <c>**</c> (any number of directories), <c>?</c>
/// (one character) and <c>{a,b}</c> (either). A pattern without <c>/</c> is matched against file names
/// (<c>*.cs</c> finds C# files at any depth); one with <c>/</c> against the whole relative path.
/// </summary>
internal sealed class Glob
{
    private readonly Regex _regex;
    private readonly bool _nameOnly;

    private Glob(Regex regex, bool nameOnly)
    {
        _regex = regex;
        _nameOnly = nameOnly;
    }

    /// <summary>Parses <paramref name="pattern"/>.</summary>
    /// <exception cref="ToolException">The pattern is empty or its braces do not match.</exception>
    public static Glob Parse(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            throw new ToolException("the glob pattern is empty; use a pattern such as *.cs or src/**/*.ts");
        var trimmed = pattern.Trim().TrimStart('/');
        if (trimmed.StartsWith("./", StringComparison.Ordinal))
            trimmed = trimmed[2..];
        var regex = new StringBuilder("^");
        var depth = 0;
        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            switch (c)
            {
                case '*' when i + 1 < trimmed.Length && trimmed[i + 1] == '*':
                    var slash = i + 2 < trimmed.Length && trimmed[i + 2] == '/';
                    regex.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '{':
                    depth++;
                    regex.Append("(?:");
                    break;
                case '}' when depth > 0:
                    depth--;
                    regex.Append(')');
                    break;
                case ',' when depth > 0:
                    regex.Append('|');
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        if (depth != 0)
            throw new ToolException($"the glob pattern '{pattern}' has an unclosed '{{'; close it, as in *.{{cs,ts}}");
        regex.Append('$');
        return new Glob(new Regex(regex.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), !trimmed.Contains('/', StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="relativePath"/> (with <c>/</c> separators) matches.</summary>
    public bool IsMatch(string relativePath)
    {
        var subject = _nameOnly ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath;
        return _regex.IsMatch(subject);
    }
}
