namespace Orchestra.Agents.Tools;

/// <summary><c>git_diff(ref?, path?, staged?)</c>: <c>git diff</c> in the workspace root, run without a shell.</summary>
internal sealed class GitDiffTool(ToolContext context) : BuiltInTool(BuiltInToolNames.GitDiff,
    "Shows git diff for the workspace: unstaged changes by default, staged changes with staged=true, or the changes since a commit or between commits with ref (such as HEAD~1 or main...HEAD).",
    Parameters)
{
    private static readonly ToolParameter[] Parameters =
    [
        new("ref", ToolParameterType.String, "A commit, branch or range to diff against, such as HEAD, HEAD~3, main or main...HEAD. Default: the index (unstaged changes)."),
        new("path", ToolParameterType.String, "Limit the diff to this file or directory, relative to the workspace root."),
        new("staged", ToolParameterType.Boolean, "Show staged changes (git diff --cached). Default false."),
    ];

    protected override async ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var reference = arguments.String("ref");
        var path = arguments.String("path");
        var staged = arguments.Boolean("staged") ?? false;

        // Options for git itself: no pager or colours, nothing from the repository's configuration that would run a
        // program (external diff drivers, text conversion filters, file system monitors), and only the part of the
        // repository under the workspace root (--relative), for a root that is a subdirectory of a repository.
        List<string> argv = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.quotepath=false",
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--relative"];
        if (staged)
            argv.Add("--cached");
        if (!string.IsNullOrWhiteSpace(reference))
        {
            // A value starting with '-' would be taken as an option (--output=FILE writes a file).
            if (reference.StartsWith('-') || reference.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                throw new ToolException($"'{reference}' is not a git revision; pass a commit, branch or range such as HEAD~1 or main...HEAD");
            argv.Add(reference);
        }
        argv.Add("--");
        if (!string.IsNullOrWhiteSpace(path))
            argv.Add(context.Root.Relative(context.Root.Resolve(path)));

        var environment = new Dictionary<string, string>(context.Environment, StringComparer.Ordinal)
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_OPTIONAL_LOCKS"] = "0",
        };
        var result = await ToolProcess.RunAsync(
            new ToolProcessSpec(argv, context.Root.FullPath, environment, context.CommandTimeout, context.MaxOutputBytes),
            context.Time, context.ProcessStarted, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut)
            throw new ToolException($"git diff timed out after {Core.Model.Durations.Format(context.CommandTimeout)}; narrow it with path");
        if (result.ExitCode != 0)
        {
            if (result.Stderr.Contains("not a git repository", StringComparison.OrdinalIgnoreCase))
                throw new ToolException("the workspace is not a git repository, so there is no diff to show; use read_file and list_files instead");
            // Keep the first lines: a usage error is followed by pages of help.
            var reason = string.Join('\n', result.Stderr.Trim().Split('\n').Take(5));
            throw new ToolException($"git diff failed (exit code {result.ExitCode}): {(reason.Length > 0 ? reason : "no message")}");
        }
        if (result.Stdout.Length == 0)
            return "no differences";
        return result.Truncated
            ? result.Stdout + $"\n[diff cut at {TextFiles.Size(context.MaxOutputBytes)}; narrow it with path]\n"
            : result.Stdout;
    }
}
