using System.Globalization;
using System.Text;

namespace Orchestra.Cli.Rendering;

/// <summary>
/// A plain box-drawn table with optional ANSI colour per cell. The status table is on the hot path of the
/// most frequent command, and this costs a millisecond where a full rendering library's first use costs
/// tens; live views and detailed screens still use Spectre.Console.
/// </summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<(string Text, string? Colour)[]> _rows = [];

    public TextTable(params string[] headers)
    {
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
        _rightAligned = headers.Select(h => h.StartsWith('>')).ToArray();
    }

    public void AddRow(params (string Text, string? Colour)[] cells) => _rows.Add(cells);

    public string Render(bool ansi, int maxWidth)
    {
        var widths = _headers.Select(h => Width(h)).ToArray();
        foreach (var row in _rows)
        {
            for (var i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], Width(row[i].Text));
        }
        // Shrink the widest column until the table fits.
        while (widths.Sum() + 3 * widths.Length + 1 > maxWidth && widths.Max() > 8)
            widths[Array.IndexOf(widths, widths.Max())]--;
        var sb = new StringBuilder();
        Border(sb, widths, '╭', '┬', '╮');
        Line(sb, _headers.Select(h => (h, (string?)null)).ToArray(), widths, ansi, bold: true);
        Border(sb, widths, '├', '┼', '┤');
        foreach (var row in _rows)
            Line(sb, row, widths, ansi, bold: false);
        Border(sb, widths, '╰', '┴', '╯');
        return sb.ToString();
    }

    private static int Width(string s) => new StringInfo(s).LengthInTextElements;

    private static void Border(StringBuilder sb, int[] widths, char left, char middle, char right)
    {
        sb.Append(left);
        for (var i = 0; i < widths.Length; i++)
        {
            sb.Append('─', widths[i] + 2);
            sb.Append(i == widths.Length - 1 ? right : middle);
        }
        sb.Append('\n');
    }

    private void Line(StringBuilder sb, (string Text, string? Colour)[] cells, int[] widths, bool ansi, bool bold)
    {
        sb.Append('│');
        for (var i = 0; i < widths.Length; i++)
        {
            var (text, colour) = i < cells.Length ? cells[i] : ("", null);
            if (Width(text) > widths[i])
                text = new StringInfo(text).SubstringByTextElements(0, widths[i] - 1) + "…";
            var pad = new string(' ', widths[i] - Width(text));
            sb.Append(' ');
            if (_rightAligned[i]) sb.Append(pad);
            var code = ansi ? (bold ? "1" : Ansi(colour)) : null;
            if (code is not null) sb.Append("\u001b[").Append(code).Append('m');
            sb.Append(text);
            if (code is not null) sb.Append("\u001b[0m");
            if (!_rightAligned[i]) sb.Append(pad);
            sb.Append(" │");
        }
        sb.Append('\n');
    }

    private static string? Ansi(string? colour) => colour switch
    {
        "green" => "32",
        "red" => "31",
        "yellow" => "33",
        "blue" => "34",
        "magenta" => "35",
        "cyan" => "36",
        "grey" => "90",
        _ => null,
    };
}
