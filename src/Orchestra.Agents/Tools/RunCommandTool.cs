namespace Orchestra.Agents.Tools;

/// <summary>
/// <c>run_command(argv)</c>: runs an allow-listed program in the workspace root without a shell, with a minimal
/// environment, a timeout and an output cap. A non-zero exit or a timeout is a tool error whose text still holds
/// the output.
/// </summary>
internal sealed class RunCommandTool(ToolContext context) : BuiltInTool(BuiltInToolNames.RunCommand,
    "Runs a program in the workspace root, without a shell: argv is the program and its arguments, one list element per argument " +
    "(no pipes, redirection, globbing or variables). Allowed programs: " + string.Join(", ", context.AllowedCommands.Order(StringComparer.Ordinal)) +
    ". Returns the exit code, standard output and standard error.",
    Parameters)
{
    private static readonly ToolParameter[] Parameters =
    [
        new("argv", ToolParameterType.StringArray, "The program followed by its arguments, such as [\"dotnet\", \"test\", \"--no-build\"].", Required: true),
    ];

    protected override async ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var argv = arguments.StringArray("argv")!;
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0]))
            throw new ToolException("argv is empty; pass the program and its arguments, such as [\"dotnet\", \"test\"]");
        if (!context.AllowedCommands.Contains(argv[0]))
            throw new ToolException($"command '{argv[0]}' is not allowed; allowed commands: {string.Join(", ", context.AllowedCommands.Order(StringComparer.Ordinal))}");

        var result = await ToolProcess.RunAsync(
            new ToolProcessSpec(argv, context.Root.FullPath, context.Environment, context.CommandTimeout, context.MaxOutputBytes),
            context.Time, context.ProcessStarted, cancellationToken).ConfigureAwait(false);
        var text = ToolProcess.Format(result, context.CommandTimeout);
        return result.TimedOut || result.ExitCode != 0 ? throw new ToolException(text) : text;
    }
}
