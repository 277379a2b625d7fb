using System.CommandLine;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra init [DIR]</c>.</summary>
internal static class InitCommand
{
    private static readonly Argument<string?> Dir = new("dir") { Description = "Where to create .orchestra/ (default: the current directory).", Arity = ArgumentArity.ZeroOrOne };

    public static Command Create()
    {
        var command = new Command("init", "Create .orchestra/ with a config file and example agents; existing files are kept.") { Dir };
        command.SetAction((ctx, _) =>
        {
            var root = Path.GetFullPath(ctx.Parse.GetValue(Dir) ?? Environment.CurrentDirectory);
            if (!Directory.Exists(root))
                throw new Core.OrchestraException($"{root} does not exist: create it first or pick another directory.");
            var written = WorkspaceTemplate.Apply(root);
            var state = Path.Combine(root, OrchestraWorkspace.FolderName);
            if (written.Count == 0)
            {
                ctx.Out.WriteLine($"{state} is already initialised; nothing changed.");
                return Task.FromResult(ExitCodes.Success);
            }
            ctx.Out.WriteLine($"Initialised {state}");
            foreach (var file in written)
                ctx.Out.WriteLine($"  created {Path.GetRelativePath(root, file)}");
            ctx.Out.WriteLine("Next: orchestra start coder \"fix the flaky test\" && orchestra run --until-idle");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
