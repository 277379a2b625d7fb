using System.CommandLine;
using Orchestra.Cli;
using Orchestra.Cli.Commands;

var root = new RootCommand("Orchestra runs AI agents as durable, observable, budgeted work.")
{
    CliContext.NoColorOption,
    CliContext.DebugOption,
    CliContext.StoreOption,
};
foreach (var command in CommandSet.All())
    root.Subcommands.Add(command);

return await CommandRunner.InvokeAsync(root, args, Console.Out, Console.Error);
