using System.CommandLine;

namespace Orchestra.Cli.Commands;

/// <summary>Every subcommand of <c>orchestra</c>.</summary>
internal static class CommandSet
{
    public static IEnumerable<Command> All() =>
    [
        InitCommand.Create(),
        StartCommand.Create(),
        SubmitCommand.Create(),
        RunCommand.CreateRun(),
        RunCommand.CreateWorker(),
        StatusCommand.CreateStatus(),
        StatusCommand.CreateWatch(),
        LogsCommand.Create(),
        ControlCommands.CreateCancel(),
        ControlCommands.CreateRetry(),
        ControlCommands.CreateTimeout(),
        CleanCommand.Create(),
        AgentCommand.Create(),
        DemoCommand.Create(),
        DevCommand.Create(),
    ];
}
