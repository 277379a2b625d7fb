using System.CommandLine;
using Orchestra.Core;
using Spectre.Console;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra agent list | show NAME</c>.</summary>
internal static class AgentCommand
{
    private static readonly Argument<string> Name = new("name") { Description = "The agent's name." };

    public static Command Create()
    {
        var list = new Command("list", "List the agents defined in .orchestra/agents/.");
        list.SetAction((ctx, _) =>
        {
            var names = ctx.Workspace.Agents.Names();
            if (names.Count == 0)
            {
                ctx.Out.WriteLine($"No agents in {ctx.Workspace.AgentsDir}: add a YAML file there or run 'orchestra init'.");
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("NAME").AddColumn("KIND").AddColumn("DESCRIPTION");
            var invalid = 0;
            foreach (var name in names)
            {
                try
                {
                    var d = ctx.Workspace.Agents.Definition(name);
                    ctx.Workspace.Agents.Get(name);
                    table.AddRow(Markup.Escape(name), Markup.Escape(d.Kind), Markup.Escape(d.Description ?? ""));
                }
                catch (OrchestraException ex)
                {
                    invalid++;
                    table.AddRow(Markup.Escape(name), "[red]invalid[/]", Markup.Escape(ex.Message));
                }
            }
            ctx.Console.Write(table);
            return Task.FromResult(invalid > 0 ? ExitCodes.Usage : ExitCodes.Success);
        });
        var show = new Command("show", "Show an agent's definition after checking it.") { Name };
        show.SetAction((ctx, _) =>
        {
            var name = ctx.Parse.GetValue(Name)!;
            var definition = ctx.Workspace.Agents.Definition(name);
            var agent = ctx.Workspace.Agents.Get(name);
            ctx.Out.WriteLine($"# {definition.Source.Path}");
            ctx.Out.Write(File.ReadAllText(definition.Source.Path));
            if (agent.MaxConcurrency is { } max)
                ctx.Out.WriteLine($"# at most {max} at once");
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("agent", "Inspect agent definitions.") { list, show };
    }
}
