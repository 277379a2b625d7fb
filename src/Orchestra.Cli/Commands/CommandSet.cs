using System.CommandLine;

namespace Orchestra.Cli.Commands;

/// <summary>Every subcommand of <c>orchestra</c>, by name.</summary>
internal static class CommandSet
{
    private static readonly (string Name, Func<Command> Create)[] Commands =
    [
        ("init", InitCommand.Create),
        ("start", StartCommand.Create),
        ("task", TaskCommand.Create),
        ("submit", SubmitCommand.Create),
        ("compile", CompileCommand.Create),
        ("run", RunCommand.CreateRun),
        ("worker", RunCommand.CreateWorker),
        ("status", StatusCommand.CreateStatus),
        ("watch", StatusCommand.CreateWatch),
        ("logs", LogsCommand.Create),
        ("cancel", ControlCommands.CreateCancel),
        ("retry", ControlCommands.CreateRetry),
        ("timeout", ControlCommands.CreateTimeout),
        ("attach", HumanCommands.CreateAttach),
        ("approve", HumanCommands.CreateApprove),
        ("reject", HumanCommands.CreateReject),
        ("checkpoints", CheckpointCommands.CreateCheckpoints),
        ("replay", CheckpointCommands.CreateReplay),
        ("fork", CheckpointCommands.CreateFork),
        ("clean", CleanCommand.Create),
        ("diff", GitCommands.CreateDiff),
        ("merge", GitCommands.CreateMerge),
        ("cleanup", GitCommands.CreateCleanup),
        ("agent", AgentCommand.Create),
        ("provider", ProviderCommand.Create),
        ("auth", AuthCommand.Create),
        ("review", ReviewCommand.CreateReview),
        ("findings", ReviewCommand.CreateFindings),
        ("demo", DemoCommand.Create),
        ("dev", DevCommand.Create),
    ];

    /// <summary>Every subcommand.</summary>
    public static IEnumerable<Command> All() => Commands.Select(c => c.Create());

    /// <summary>
    /// The subcommands <paramref name="args"/> can need: only the one it names, when it names one, because building
    /// every command's options is start-up time that a short command such as <c>start</c> should not pay; all of them
    /// otherwise, for help, suggestions and errors.
    /// </summary>
    public static IEnumerable<Command> For(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--store")
            {
                i++;
                continue;
            }
            if (arg.StartsWith('-'))
                continue;
            foreach (var (name, create) in Commands)
            {
                if (name != arg)
                    continue;
                // These read a pipeline file: the engines they need start while the command line is parsed.
                if (name is "compile" or "run")
                    Orchestra.Pipelines.PipelineCompiler.WarmUp();
                return [create()];
            }
            break;
        }
        return All();
    }
}
