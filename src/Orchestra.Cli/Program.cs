using System.CommandLine;
using Orchestra.Cli;
using Orchestra.Cli.Commands;

var root = new RootCommand("Orchestra runs AI agents as durable, observable, budgeted work.")
{
    CliContext.NoColorOption,
    CliContext.DebugOption,
    CliContext.StoreOption,
};
foreach (var command in CommandSet.For(args))
    root.Subcommands.Add(command);

return await CommandRunner.InvokeAsync(root, args, Console.Out, Console.Error);
