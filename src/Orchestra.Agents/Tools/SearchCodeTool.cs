using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestra.Agents.Tools;

/// <summary>
/// <c>search_code(pattern, path?, glob?, max_results?, ignore_case?)</c>: the lines of text files that match a regular
/// expression, as <c>path:line: text</c>. Runs in this process; every match attempt has a time limit.
/// </summary>
internal sealed class SearchCodeTool(ToolContext context) : BuiltInTool(BuiltInToolNames.SearchCode,
    "Searches the text files of the workspace for lines matching a regular expression (.NET syntax) and returns them as path:line: text. " +
    "Skips binary files, files over 8 MiB, and .git, bin, obj, node_modules and .orchestra.",
    Parameters)
{
    /// <summary>Matches returned when the call does not say.</summary>
    public const int DefaultMaxResults = 100;

    /// <summary>Files larger than this are skipped.</summary>
    public const long MaxFileBytes = 8 * 1024 * 1024;

    /// <summary>Characters of a matching line shown.</summary>
    public const int MaxLineChars = 300;

    private static readonly ToolParameter[] Parameters =
    [
        new("pattern", ToolParameterType.String, "The regular expression to look for, matched against each line.", Required: true),
        new("path", ToolParameterType.String, "A directory or file to search, relative to the workspace root. Default: the root."),
        new("glob", ToolParameterType.String, "Only search files matching this glob, such as *.cs or src/**/*.ts."),
        new("max_results", ToolParameterType.Integer, $"The most matching lines to return. Default {DefaultMaxResults}, at most 2000."),
        new("ignore_case", ToolParameterType.Boolean, "Match without regard to case. Default false."),
    ];

    protected override async ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var pattern = arguments.RequiredString("pattern");
        var path = arguments.String("path") ?? ".";
        var globText = arguments.String("glob");
        var max = (int)(arguments.Integer("max_results", 1, 2000) ?? DefaultMaxResults);
        var options = RegexOptions.CultureInvariant | (arguments.Boolean("ignore_case") == true ? RegexOptions.IgnoreCase : RegexOptions.None);
        Regex regex;
        try
        {
            regex = new Regex(pattern, options, context.RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new ToolException($"'{pattern}' is not a valid regular expression: {ex.Message}");
        }
        var glob = globText is null ? null : Glob.Parse(globText);
        var start = context.Root.Resolve(path);
        if (!Directory.Exists(start) && !File.Exists(start))
            throw new ToolException($"'{path}' not found; search_code with no path searches the whole workspace");

        var text = new StringBuilder();
        var bytes = 0;
        var found = 0;
        var stopped = false;
        foreach (var file in WorkspaceWalker.Files(context.Root, start, cancellationToken))
        {
            if (glob is not null && !glob.IsMatch(file.FromStart))
                continue;
            if (stopped)
                break;
            FileStream stream;
            try
            {
                // Empty files cannot match; named pipes and devices, which also have length 0, could block on open.
                if (new FileInfo(file.FullPath).Length == 0)
                    continue;
                stream = TextFiles.OpenRead(file.FullPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            await using (stream.ConfigureAwait(false))
            {
                if (stream.Length > MaxFileBytes || await TextFiles.LooksBinaryAsync(stream, cancellationToken).ConfigureAwait(false))
                    continue;
                var number = 0;
                await foreach (var line in TextFiles.ReadLinesAsync(stream, 64 * 1024, cancellationToken).ConfigureAwait(false))
                {
                    number++;
                    bool match;
                    try
                    {
                        match = regex.IsMatch(line.Text);
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        throw new ToolException($"the pattern '{pattern}' took too long on line {number} of '{file.Relative}'; simplify it (avoid nested quantifiers such as (a+)+) or narrow the path or glob");
                    }
                    if (!match)
                        continue;
                    var shown = line.Text.Trim();
                    if (shown.Length > MaxLineChars)
                        shown = shown[..MaxLineChars] + "…";
                    var entry = string.Create(CultureInfo.InvariantCulture, $"{file.Relative}:{number}: {shown}");
                    var size = Encoding.UTF8.GetByteCount(entry) + 1;
                    if (found == max || bytes + size > context.MaxOutputBytes)
                    {
                        stopped = true;
                        break;
                    }
                    text.Append(entry).Append('\n');
                    bytes += size;
                    found++;
                }
            }
        }
        if (found == 0)
            return $"no matches for '{pattern}'" + (globText is null ? "" : $" in files matching '{globText}'") + (path == "." ? "" : $" under '{path}'");
        if (stopped)
            text.Append(CultureInfo.InvariantCulture, $"[stopped after {found} matches; narrow the pattern, path or glob, or raise max_results]\n");
        return text.ToString();
    }
}
