using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Llm;
using Orchestra.Core;
using Orchestra.Agents.Scripted;
using Orchestra.Core.Agents;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>The agent kinds a workspace can build, by the name used in <c>kind:</c>.</summary>
public static class AgentKinds
{
    private static readonly Dictionary<string, Func<AgentDefinition, OrchestraWorkspace, Agent>> Builders = new(StringComparer.Ordinal)
    {
        ["scripted"] = (d, _) => new ScriptedAgent(d.Name, SpecBinder.Bind<ScriptedOptions>(d.Source, d.Spec, "$", "kind")),
        ["cli"] = BuildCli,
        ["claude-code"] = BuildClaudeCode,
        ["openai"] = (d, w) => BuildChat(d, w, ProviderProtocol.OpenAi),
        ["anthropic"] = (d, w) => BuildChat(d, w, ProviderProtocol.Anthropic),
        ["codex"] = BuildCodex,
    };

    private static ChatAgent BuildChat(AgentDefinition d, OrchestraWorkspace workspace, ProviderProtocol protocol)
    {
        var options = SpecBinder.Bind<ChatAgentOptions>(d.Source, d.Spec, "$", "kind", "description");
        try
        {
            // Unknown tools and missing permissions are refused when the definition loads, not when a step runs.
            if (options.Tools is { Count: > 0 })
                Orchestra.Agents.Tools.ToolBox.Validate(ToolHosts.Options(workspace, options));
            return new ChatAgent(d.Name, protocol, options, workspace.ChatServices);
        }
        catch (OrchestraException ex)
        {
            throw d.Source.Error("$", ex.Message.TrimEnd('.') + ".");
        }
    }

    private static CliAgent BuildCli(AgentDefinition d, OrchestraWorkspace workspace)
    {
        if (d.Spec["command"] is null)
            throw d.Source.Error("$", "a cli agent needs 'command:', an argv list such as [\"my-agent\", \"--task\", \"{prompt}\"].");
        var options = SpecBinder.Bind<CliAgentOptions>(d.Source, d.Spec, "$", "kind", "description");
        if (options.PromptTemplate is { } template && !Path.IsPathRooted(template))
            options = options with { PromptTemplate = Path.Combine(workspace.StateDir, template) };
        try
        {
            return new CliAgent(d.Name, options, workspace.Paths);
        }
        catch (ArgumentException ex)
        {
            throw d.Source.Error("$", ex.Message.TrimEnd('.') + ".");
        }
    }

    private static ClaudeCodeAgent BuildClaudeCode(AgentDefinition d, OrchestraWorkspace workspace)
    {
        var options = SpecBinder.Bind<ClaudeCodeOptions>(d.Source, d.Spec, "$", "kind", "description");
        try
        {
            return new ClaudeCodeAgent(d.Name, options, workspace.Paths);
        }
        catch (ArgumentException ex)
        {
            // Point at the key the message names when it names one.
            var key = ex.Message.StartsWith('`') && ex.Message.IndexOf('`', 1) is > 1 and var end
                ? ex.Message[1..end].TrimEnd(':')
                : null;
            var path = key is not null && d.Spec[key] is not null ? "$." + key : "$";
            throw d.Source.Error(path, ex.Message.TrimEnd('.') + ".");
        }
    }

    private static CodexAgent BuildCodex(AgentDefinition d, OrchestraWorkspace workspace)
    {
        var options = SpecBinder.Bind<CodexAgentOptions>(d.Source, d.Spec, "$", "kind", "description");
        try
        {
            // The workspace's prices, without loading the provider profiles a CLI agent does not use.
            var prices = new PriceTable(workspace.Config.Prices.Select(kv => KeyValuePair.Create(kv.Key, new ModelPrice(kv.Value.Input, kv.Value.Output, kv.Value.CachedInput))));
            return new CodexAgent(d.Name, options, workspace.Paths, prices);
        }
        catch (ArgumentException ex)
        {
            // The message names the field (`sandbox:` ...): point at it when the file has it.
            var field = ex.Message.StartsWith('`') && ex.Message.IndexOf(':', StringComparison.Ordinal) is > 1 and var end ? ex.Message[1..end] : null;
            var path = field is not null && d.Spec[field] is not null ? "$." + field : "$";
            throw d.Source.Error(path, ex.Message.TrimEnd('.') + ".");
        }
    }

    /// <summary>The known kinds.</summary>
    public static IReadOnlyCollection<string> Names => Builders.Keys;

    /// <summary>Adds or replaces a kind.</summary>
    public static void Register(string kind, Func<AgentDefinition, OrchestraWorkspace, Agent> build) => Builders[kind] = build;

    /// <summary>Builds the agent of a definition.</summary>
    /// <exception cref="Orchestra.Core.OrchestraException">Unknown kind or invalid fields, with the file position.</exception>
    public static Agent Build(AgentDefinition definition, OrchestraWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!Builders.TryGetValue(definition.Kind, out var build))
            throw definition.Source.Error("$.kind", $"unknown agent kind '{definition.Kind}'. Known kinds: {string.Join(", ", Builders.Keys.Order(StringComparer.Ordinal))}.");
        // Fields every kind accepts are read here and taken out before the kind binds its own.
        var isolation = StepIsolation.None;
        if (definition.Spec["isolation"] is { } node)
        {
            if (node is not JsonValue value || !value.TryGetValue<string>(out var text) || !Isolation.TryParse(text, out isolation))
                throw definition.Source.Error("$.isolation", "isolation must be 'worktree' (each step in its own git worktree) or 'none'.");
            var spec = (JsonObject)definition.Spec.DeepClone();
            spec.Remove("isolation");
            definition = definition with { Spec = spec };
        }
        var agent = build(definition, workspace);
        agent.Isolation = isolation;
        return agent;
    }
}
