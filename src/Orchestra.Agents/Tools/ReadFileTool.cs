using System.Globalization;
using System.Text;

namespace Orchestra.Agents.Tools;

/// <summary><c>read_file(path, offset?, limit?, line_numbers?)</c>: a text file, or a window of its lines, within a size cap.</summary>
internal sealed class ReadFileTool(ToolContext context) : BuiltInTool(BuiltInToolNames.ReadFile,
    "Reads a text file of the workspace. Lines are numbered unless line_numbers is false. Use offset and limit to read a long file in parts.",
    Parameters)
{
    /// <summary>Lines returned when the call does not say.</summary>
    public const int DefaultLimit = 2000;

    /// <summary>Characters kept of one line; the rest is cut.</summary>
    public const int MaxLineChars = 4000;

    private static readonly ToolParameter[] Parameters =
    [
        new("path", ToolParameterType.String, "The file, relative to the workspace root.", Required: true),
        new("offset", ToolParameterType.Integer, "The first line to return, counting from 1. Default 1."),
        new("limit", ToolParameterType.Integer, $"The most lines to return. Default {DefaultLimit}."),
        new("line_numbers", ToolParameterType.Boolean, "Prefix each line with its number and a tab. Default true."),
    ];

    protected override async ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var path = arguments.RequiredString("path");
        var offset = arguments.Integer("offset", 1, int.MaxValue) ?? 1;
        var limit = arguments.Integer("limit", 1, 1_000_000) ?? DefaultLimit;
        var numbered = arguments.Boolean("line_numbers") ?? true;
        var full = context.Root.Resolve(path);
        if (Directory.Exists(full))
            throw new ToolException($"'{path}' is a directory; use list_files to see what it holds");
        if (!File.Exists(full))
            throw new ToolException($"file '{path}' not found; use list_files to find the right path");
        // Checked before opening: a named pipe or device also has length 0, and opening it could block for ever.
        if (new FileInfo(full).Length == 0)
            return $"(file '{path}' is empty)";

        var stream = TextFiles.OpenRead(full);
        await using (stream.ConfigureAwait(false))
        {
            if (await TextFiles.LooksBinaryAsync(stream, cancellationToken).ConfigureAwait(false))
                throw new ToolException($"'{path}' is a binary file ({TextFiles.Size(stream.Length)}); read_file reads text files only");

            var text = new StringBuilder();
            var bytes = 0;
            long number = 0;
            long last = 0;
            var more = false;
            var capped = false;
            var cutLines = false;
            await foreach (var line in TextFiles.ReadLinesAsync(stream, MaxLineChars, cancellationToken).ConfigureAwait(false))
            {
                number++;
                if (number < offset)
                    continue;
                if (number - offset >= limit)
                {
                    more = true;
                    break;
                }
                var shown = numbered ? string.Create(CultureInfo.InvariantCulture, $"{number,6}\t{line.Text}") : line.Text;
                var size = Encoding.UTF8.GetByteCount(shown) + 1;
                if (bytes + size > context.MaxOutputBytes)
                {
                    capped = true;
                    if (last == 0)
                    {
                        // A single line larger than the cap: show what fits of it.
                        text.Append(TextFiles.CutToBytes(shown, context.MaxOutputBytes)).Append('\n');
                        cutLines = true;
                        last = number;
                    }
                    break;
                }
                text.Append(shown).Append('\n');
                bytes += size;
                cutLines |= line.Cut;
                last = number;
            }

            if (number == 0)
                return $"(file '{path}' is empty)";
            if (last == 0)
                throw new ToolException($"file '{path}' has {number} lines; offset {offset} is past its end");
            if (capped)
                text.Append(CultureInfo.InvariantCulture, $"[output cut at {TextFiles.Size(context.MaxOutputBytes)} after line {last} of a {TextFiles.Size(stream.Length)} file; call read_file with offset={last + 1} to read on]\n");
            else if (more)
                text.Append(CultureInfo.InvariantCulture, $"[lines {offset}-{last} shown; the file goes on: call read_file with offset={last + 1} to read on]\n");
            if (cutLines)
                text.Append(CultureInfo.InvariantCulture, $"[lines longer than {MaxLineChars} characters were cut]\n");
            return text.ToString();
        }
    }
}
