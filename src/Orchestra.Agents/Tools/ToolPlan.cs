using Orchestra.Agents.Tools.Mcp;
using Orchestra.Core;

namespace Orchestra.Agents.Tools;

public sealed partial class ToolBox
{
    /// <summary>One tool asked for: a repository's built-in or shell tool, or an MCP server's tool (<c>*</c> for all).</summary>
    private sealed record PlanEntry(string Requested, string Tool, string? Repo, string? Server);

    /// <summary>Everything <see cref="CreateAsync"/> needs, checked before anything starts.</summary>
    private sealed record ToolPlan(
        IReadOnlyDictionary<string, ToolContext> Repos,
        IReadOnlyDictionary<string, ShellToolDefinition> ShellTools,
        IReadOnlyList<McpServerDefinition> Servers,
        IReadOnlyList<PlanEntry> Entries,
        string WorkspaceDirectory,
        IReadOnlyList<string> Secrets);

    /// <summary>
    /// Checks tool names, permissions and definitions without starting anything, so that a bad agent definition
    /// is refused when it is loaded rather than when a step runs.
    /// </summary>
    /// <exception cref="OrchestraException">The first problem, in one line.</exception>
    public static void Validate(ToolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = Plan(options);
    }

    private static ToolPlan Plan(ToolOptions options)
    {
        if (options.Repos is not { Count: > 0 })
            throw new OrchestraException("no repository to work in; give the tools at least one directory");
        if (options.MaxOutputBytes < 1024)
            throw new OrchestraException($"the output cap of {options.MaxOutputBytes} bytes is too small; use at least 1024");
        if (options.CommandTimeout <= TimeSpan.Zero)
            throw new OrchestraException($"the command timeout {options.CommandTimeout} must be positive; use a duration such as 2m");
        foreach (var command in options.AllowedCommands)
        {
            if (string.IsNullOrWhiteSpace(command) || command.Contains('\0', StringComparison.Ordinal))
                throw new OrchestraException("allowed_commands holds an empty entry; list program names such as dotnet or git");
        }

        var environment = ChildEnvironment.Build(options.CommandEnvironment);
        var secrets = new List<string>(environment.Secrets);
        var allowed = options.AllowedCommands.ToHashSet(StringComparer.Ordinal);
        var repos = new Dictionary<string, ToolContext>(StringComparer.Ordinal);
        foreach (var (name, directory) in options.Repos)
        {
            if (!ToolNames.IsValidName(name))
                throw new OrchestraException($"repository name '{name}' is invalid; use letters, digits, '_' or '-' (no '__')");
            repos[name] = new ToolContext
            {
                Root = new WorkspaceRoot(directory),
                Time = options.TimeProvider,
                MaxOutputBytes = options.MaxOutputBytes,
                AllowedCommands = allowed,
                CommandTimeout = options.CommandTimeout,
                Environment = environment.Variables,
                ProcessStarted = options.ProcessStarted,
            };
        }

        var shellTools = new Dictionary<string, ShellToolDefinition>(StringComparer.Ordinal);
        foreach (var tool in options.ShellTools)
        {
            tool.Validate();
            if (!shellTools.TryAdd(tool.Name, tool))
                throw new OrchestraException($"shell tool '{tool.Name}' is defined twice; rename or remove one");
            secrets.AddRange(ChildEnvironment.Build(tool.Environment).Secrets);
        }

        var servers = new Dictionary<string, McpServerDefinition>(StringComparer.Ordinal);
        foreach (var server in options.McpServers)
        {
            server.Validate();
            if (!servers.TryAdd(server.Name, server))
                throw new OrchestraException($"MCP server '{server.Name}' is defined twice; rename or remove one");
            if (repos.ContainsKey(server.Name) && repos.Count > 1)
                throw new OrchestraException($"'{server.Name}' names both a repository and an MCP server; rename one, since both prefix tool names");
        }

        var requested = options.Tools ?? [.. BuiltInToolNames.ReadOnly, .. servers.Keys];
        var entries = new List<PlanEntry>();
        foreach (var raw in requested)
        {
            var name = raw?.Trim() ?? "";
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            var scope = colon < 0 ? null : name[..colon];
            var tool = colon < 0 ? name : name[(colon + 1)..];
            if (scope is not null && servers.ContainsKey(scope) && !repos.ContainsKey(scope) || scope is null && servers.ContainsKey(name))
            {
                entries.Add(new PlanEntry(name, scope is null ? "*" : tool, null, scope ?? name));
                continue;
            }
            var isBuiltIn = BuiltInToolNames.RequiredPermission(tool) is not null;
            if ((scope is null || repos.ContainsKey(scope)) && (isBuiltIn || shellTools.ContainsKey(tool)))
            {
                if (isBuiltIn)
                    CheckPermission(tool, options);
                foreach (var repo in scope is null ? [.. repos.Keys] : new[] { scope })
                    entries.Add(new PlanEntry(name, tool, repo, null));
                continue;
            }
            throw new OrchestraException(Unknown(name, repos.Keys, shellTools.Keys, servers.Keys), ErrorKind.NotFound);
        }

        var workspace = options.WorkspaceDirectory ?? repos.Values.First().Root.FullPath;
        var needed = entries.Where(e => e.Server is not null).Select(e => e.Server!).Distinct(StringComparer.Ordinal);
        foreach (var server in needed)
            secrets.AddRange(ChildEnvironment.Build(servers[server].Environment).Secrets);
        return new ToolPlan(repos, shellTools, [.. needed.Select(n => servers[n])], entries, workspace, secrets);
    }

    private static void CheckPermission(string tool, ToolOptions options)
    {
        var needed = BuiltInToolNames.RequiredPermission(tool)!.Value;
        if (options.Permission < needed)
        {
            throw new OrchestraException(
                $"tool '{tool}' needs permission '{Lower(needed)}' but the agent has '{Lower(options.Permission)}'; set permission: {Lower(needed)} in the agent definition, or remove {tool} from its tools");
        }
        if (tool == BuiltInToolNames.RunCommand && options.AllowedCommands.Count == 0)
            throw new OrchestraException("tool 'run_command' has no allowed commands; list the programs it may start under allowed_commands, such as [dotnet, git]");
    }

    private static string Unknown(string name, IEnumerable<string> repos, IEnumerable<string> shellTools, IEnumerable<string> servers)
    {
        var known = string.Join(", ", BuiltInToolNames.All.Concat(shellTools.Order(StringComparer.Ordinal)));
        var text = $"unknown tool '{name}'; known tools: {known}";
        var repoList = repos.ToList();
        if (repoList.Count > 1)
            text += $"; repositories: {string.Join(", ", repoList)} (name one repository's tool as {repoList[0]}:read_file)";
        var serverList = servers.ToList();
        if (serverList.Count > 0)
            text += $"; MCP servers: {string.Join(", ", serverList)} (name a server for all its tools, or SERVER:TOOL for one)";
        return text;
    }

    private static string Lower(ToolPermission permission) => permission.ToString().ToLowerInvariant();
}
