using System.Globalization;
using System.Text;

namespace Orchestra.Agents.Tools;

/// <summary><c>list_files(path?, pattern?, max?)</c>: the files under a directory, recursively, as paths relative to the workspace root.</summary>
internal sealed class ListFilesTool(ToolContext context) : BuiltInTool(BuiltInToolNames.ListFiles,
    "Lists the files under a directory of the workspace, recursively, one path per line (relative to the workspace root). " +
    "Skips .git, bin, obj, node_modules and .orchestra.",
    Parameters)
{
    /// <summary>Paths returned when the call does not say.</summary>
    public const int DefaultMax = 500;

    /// <summary>The most paths one call may ask for.</summary>
    public const int MaxMax = 10_000;

    /// <summary>How far past <c>max</c> files are still counted, to say how many were left out.</summary>
    private const int CountLimit = 100_000;

    private static readonly ToolParameter[] Parameters =
    [
        new("path", ToolParameterType.String, "The directory to list, relative to the workspace root. Default: the root."),
        new("pattern", ToolParameterType.String, "A glob the files must match: *.cs matches names at any depth; src/**/*.ts matches paths under the directory listed."),
        new("max", ToolParameterType.Integer, $"The most paths to return. Default {DefaultMax}, at most {MaxMax}."),
    ];

    protected override ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var path = arguments.String("path") ?? ".";
        var pattern = arguments.String("pattern");
        var max = (int)(arguments.Integer("max", 1, MaxMax) ?? DefaultMax);
        var glob = pattern is null ? null : Glob.Parse(pattern);
        var start = context.Root.Resolve(path);
        if (!Directory.Exists(start) && !File.Exists(start))
            throw new ToolException($"directory '{path}' not found; list_files with no path lists the whole workspace");

        var text = new StringBuilder();
        var bytes = 0;
        var shown = 0;
        var total = 0;
        foreach (var file in WorkspaceWalker.Files(context.Root, start, cancellationToken))
        {
            if (glob is not null && !glob.IsMatch(file.FromStart))
                continue;
            total++;
            if (shown < max && bytes + file.Relative.Length + 1 <= context.MaxOutputBytes)
            {
                text.Append(file.Relative).Append('\n');
                bytes += Encoding.UTF8.GetByteCount(file.Relative) + 1;
                shown++;
            }
            else if (total > max + CountLimit)
            {
                break;
            }
        }
        if (total == 0)
            return ValueTask.FromResult(pattern is null ? $"no files under '{path}'" : $"no files under '{path}' match '{pattern}'");
        if (shown < total)
        {
            var count = total > max + CountLimit ? $"more than {total - 1}" : total.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"[{shown} of {count} files shown; narrow the path or pattern, or raise max]\n");
        }
        return ValueTask.FromResult(text.ToString());
    }
}
