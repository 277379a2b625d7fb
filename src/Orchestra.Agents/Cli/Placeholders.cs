using System.Text;

namespace Orchestra.Agents.Cli;

/// <summary>Replaces <c>{name}</c> placeholders in one pass: substituted values are never scanned again, and unknown names are left as they are.</summary>
public static class Placeholders
{
    /// <summary>Returns <paramref name="template"/> with every <c>{name}</c> whose name is a key of <paramref name="values"/> replaced.</summary>
    public static string Substitute(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        if (!template.Contains('{', StringComparison.Ordinal))
            return template;
        var result = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
                break;
            result.Append(template, i, open - i);
            var close = template.IndexOf('}', open + 1);
            if (close > open && values.TryGetValue(template[(open + 1)..close], out var value))
            {
                result.Append(value);
                i = close + 1;
            }
            else
            {
                result.Append('{');
                i = open + 1;
            }
        }
        if (i < template.Length)
            result.Append(template, i, template.Length - i);
        return result.ToString();
    }
}
