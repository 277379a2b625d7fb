using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;

namespace Orchestra.Workspace;

/// <summary>Builds the tools of an LLM agent's call from the workspace: built-ins, shell tools from config, MCP servers.</summary>
internal static class ToolHosts
{
    public static Func<ChatAgentOptions, AgentContext, CancellationToken, ValueTask<IToolHost?>>? Factory(OrchestraWorkspace workspace)
    {
        _ = workspace;
        return null;
    }
}
