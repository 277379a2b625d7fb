using Orchestra.Agents.Llm;
using Orchestra.Agents.Tools;
using Orchestra.Agents.Tools.Mcp;
using Orchestra.Core;
using Orchestra.Core.Agents;

namespace Orchestra.Workspace;

/// <summary>Builds the tools of an LLM agent's call from the workspace: built-ins, shell tools from config, MCP servers.</summary>
internal static class ToolHosts
{
    /// <summary>The options for an agent's tools in <paramref name="workspace"/>.</summary>
    /// <exception cref="OrchestraException">A shell tool or MCP server definition in config.yaml is invalid.</exception>
    public static ToolOptions Options(OrchestraWorkspace workspace, ChatAgentOptions agent, bool readOnly = false)
    {
        var config = workspace.Config;
        var repos = config.Repos.Count == 0
            ? new Dictionary<string, string>(StringComparer.Ordinal) { ["workspace"] = workspace.Root }
            : config.Repos.ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value, workspace.Root), StringComparer.Ordinal);
        return new ToolOptions
        {
            Repos = repos,
            WorkspaceDirectory = workspace.Root,
            // A read-only step (a review) keeps only the built-in read tools: shell and MCP tools may change things.
            Tools = readOnly ? agent.Tools?.Where(t => BuiltInToolNames.RequiredPermission(t) == ToolPermission.Read).ToList() : agent.Tools,
            Permission = readOnly ? ToolPermission.Read : agent.Permission,
            AllowedCommands = agent.AllowedCommands,
            ShellTools = config.Tools.Select(kv => Bind("tools", kv.Key, () => ShellToolDefinition.FromJson(kv.Key, kv.Value))).ToList(),
            McpServers = config.McpServers.Select(kv => Bind("mcp_servers", kv.Key, () => McpServerDefinition.FromJson(kv.Key, kv.Value))).ToList(),
        };
    }

    private static T Bind<T>(string section, string name, Func<T> bind)
    {
        try
        {
            return bind();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
        {
            throw new OrchestraException($".orchestra/config.yaml {section}.{name}: {ex.Message.TrimEnd('.')}.");
        }
    }

    public static Func<ChatAgentOptions, AgentContext, CancellationToken, ValueTask<IToolHost?>> Factory(OrchestraWorkspace workspace) =>
        async (agent, context, ct) =>
        {
            var readOnly = context.Step.Input?["read_only"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<bool>(out var b) && b;
            return new ToolBoxHost(await ToolBox.CreateAsync(Options(workspace, agent, readOnly), ct).ConfigureAwait(false));
        };
}
