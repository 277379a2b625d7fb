using Microsoft.Extensions.AI;
using Orchestra.Agents.Tools.Mcp;
using Orchestra.Core;

namespace Orchestra.Agents.Tools;

public sealed partial class ToolBox
{
    /// <summary>
    /// Builds the tools <paramref name="options"/> asks for. Every name and permission is checked before anything
    /// starts, then the MCP servers needed are started and their tools listed.
    /// </summary>
    /// <exception cref="OrchestraException">
    /// A tool name is unknown, a tool needs a permission the agent lacks, a definition is invalid, a repository
    /// does not exist, or an MCP server could not start. The message is one line listing the known tools;
    /// nothing is left running.
    /// </exception>
    public static async Task<ToolBox> CreateAsync(ToolOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var plan = Plan(options);
        var redactor = (options.Redactor ?? SecretRedactor.FromEnvironment()).With(plan.Secrets);

        var sources = new List<McpToolSource>();
        try
        {
            var starts = plan.Servers.Select(s => McpToolSource.StartAsync(s, plan.WorkspaceDirectory, redactor, options.TimeProvider, cancellationToken)).ToList();
            try
            {
                await Task.WhenAll(starts).ConfigureAwait(false);
            }
            finally
            {
                sources.AddRange(starts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            var names = new ToolNameTable();
            var tools = new List<ToolFunction>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            void Add(string display, AIFunction function)
            {
                if (seen.Add(display))
                    tools.Add(new ToolFunction(display, names.Add(display), function, redactor));
            }

            foreach (var entry in plan.Entries)
            {
                if (entry.Server is null)
                {
                    var repo = plan.Repos[entry.Repo!];
                    var function = BuiltInToolNames.RequiredPermission(entry.Tool) is not null
                        ? CreateBuiltIn(entry.Tool, repo)
                        : new ShellTool(plan.ShellTools[entry.Tool], repo);
                    Add(plan.Repos.Count > 1 ? ToolNames.Qualify(entry.Repo!, entry.Tool) : entry.Tool, function);
                    continue;
                }
                var source = sources.Single(s => s.Name == entry.Server);
                if (entry.Tool == "*")
                {
                    foreach (var f in source.Functions)
                        Add(f.DisplayName, f.Inner);
                    continue;
                }
                var found = source.Functions.FirstOrDefault(f => f.Inner.Name == entry.Tool)
                    ?? throw new OrchestraException($"unknown tool '{entry.Requested}': MCP server '{source.Name}' has {Listing(source.ToolNamesOnServer)}; name one of them as {source.Name}:TOOL, or all as {source.Name}", ErrorKind.NotFound);
                Add(found.DisplayName, found.Inner);
            }
            return new ToolBox(tools, sources, redactor);
        }
        catch
        {
            foreach (var source in sources)
                await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static AIFunction CreateBuiltIn(string name, ToolContext context) => name switch
    {
        BuiltInToolNames.ReadFile => new ReadFileTool(context),
        BuiltInToolNames.ListFiles => new ListFilesTool(context),
        BuiltInToolNames.SearchCode => new SearchCodeTool(context),
        BuiltInToolNames.GitDiff => new GitDiffTool(context),
        BuiltInToolNames.WriteFile => new WriteFileTool(context),
        BuiltInToolNames.RunCommand => new RunCommandTool(context),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a built-in tool"),
    };

    private static string Listing(IReadOnlyList<string> names) =>
        names.Count == 0 ? "no tools" : "tools " + string.Join(", ", names);
}
