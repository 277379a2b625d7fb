using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Scripted;
using Orchestra.Agents.Tools;
using Orchestra.Core;
using Orchestra.Pipelines.Model;
using Orchestra.Workspace;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines;

public static partial class PipelineLoader
{
    /// <summary>The options type of each built-in kind, whose fields an inline agent may carry.</summary>
    private static readonly Dictionary<string, Type> KindFields = new(StringComparer.Ordinal)
    {
        ["openai"] = typeof(ChatAgentOptions),
        ["anthropic"] = typeof(ChatAgentOptions),
        ["cli"] = typeof(CliAgentOptions),
        ["scripted"] = typeof(ScriptedOptions),
    };

    private static int _warming;

    /// <summary>
    /// Prepares the serializer for the kinds' fields on a background thread, so that its one-time start-up overlaps
    /// reading the file rather than following it. Safe to call any number of times.
    /// </summary>
    public static void WarmUp()
    {
        if (Interlocked.Exchange(ref _warming, 1) == 1)
            return;
        _ = Task.Run(() =>
        {
            // A failure here only means the real read pays the start-up cost and reports any error itself.
            try
            {
                foreach (var type in KindFields.Values.Distinct())
                    SpecBinder.Options.GetTypeInfo(type);
                _ = new JsonObject().Deserialize<ScriptedOptions>(SpecBinder.Options);
            }
            catch (Exception)
            {
            }
        });
    }

    private static List<PipelineAgent> ReadAgents(SchemaReader r, JsonObject? root)
    {
        var agents = new List<PipelineAgent>();
        foreach (var (name, value, at) in r.Named(root, "$", "agents", "agent"))
        {
            if (value is not JsonObject entry)
            {
                r.Bag.Error(at, $"agent '{name}' must be a mapping with 'kind:' (an agent defined here) or 'use:' (one of .orchestra/agents/), not {SchemaReader.Describe(value)}.");
                continue;
            }
            var use = r.String(entry, "use", at);
            var kind = r.String(entry, "kind", at);
            if (use is not null && kind is not null)
            {
                r.Bag.Error($"{at}.use", $"agent '{name}' has both 'kind:' and 'use:': define it here with kind, or refer to .orchestra/agents/{use}.yaml with use, not both.");
                continue;
            }
            if (use is null && kind is null)
            {
                if (!entry.ContainsKey("use") && !entry.ContainsKey("kind"))
                    r.Bag.Error(at, $"agent '{name}' needs 'kind:' (openai, anthropic, cli, scripted, ...) to define it here, or 'use: {name}' for .orchestra/agents/{name}.yaml.");
                continue;
            }
            if (use is not null)
                r.UnknownKeys(entry, at, $"agent '{name}' (use: {use})", PipelineKeys.AgentReference);
            var layers = new List<PromptLayerRef>();
            foreach (var (key, layer) in PipelineKeys.Layers.Zip(Enum.GetValues<PromptLayer>()))
            {
                if (ReadLayer(r, entry, key, at, layer) is { } l)
                    layers.Add(l);
            }
            var spec = new JsonObject();
            if (kind is not null)
            {
                foreach (var (key, v) in entry)
                {
                    if (!PipelineKeys.AgentPipelineOnly.Contains(key))
                        spec[key] = v?.DeepClone();
                }
                CheckKindFields(r, name, kind, spec, at);
            }
            agents.Add(new PipelineAgent
            {
                Name = name,
                At = at,
                Kind = kind,
                Use = use,
                Model = kind is not null && spec["model"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : null,
                Tools = kind is not null && spec["tools"] is JsonArray t && t.All(n => n?.GetValueKind() == JsonValueKind.String) ? t.Select(n => n!.GetValue<string>()).ToList() : null,
                Mode = r.Enum(entry, "mode", at, ("autonomous", AgentMode.Autonomous), ("interactive", AgentMode.Interactive)) ?? AgentMode.Autonomous,
                Repo = r.String(entry, "repo", at),
                Access = r.Enum(entry, "access", at, ("read", RepoAccess.Read), ("write", RepoAccess.Write)),
                Layers = layers,
                Spec = spec,
                Description = r.String(entry, "description", at),
            });
        }
        return agents;
    }

    /// <summary>Checks the fields of an inline agent against its kind, as an agent file would be checked.</summary>
    private static void CheckKindFields(SchemaReader r, string name, string kind, JsonObject spec, string at)
    {
        if (!KindFields.TryGetValue(kind, out var type))
        {
            if (!AgentKinds.Names.Contains(kind))
                r.Bag.Error($"{at}.kind", $"unknown agent kind '{kind}'. Known kinds: {string.Join(", ", AgentKinds.Names.Order(StringComparer.Ordinal))}.");
            // Kinds registered by other assemblies check their own fields when the agent is built.
            return;
        }
        var fields = type.GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        var known = fields.Concat(["kind", "description"]).Concat(PipelineKeys.AgentPipelineOnly.Where(k => k != "use")).Distinct().ToList();
        var bindable = new JsonObject();
        foreach (var (key, value) in spec)
        {
            if (key is "kind" or "description")
                continue;
            if (!fields.Contains(key))
            {
                var near = SchemaReader.Suggest(key, known);
                r.Bag.Error($"{at}.{key}", $"unknown key '{key}' in agent '{name}' (kind {kind}){(near is null ? "." : $": did you mean '{near}'?")} Known keys: {string.Join(", ", known)}.");
                continue;
            }
            bindable[key] = value?.DeepClone();
        }
        switch (kind)
        {
            case "openai" or "anthropic":
                if (Bind<ChatAgentOptions>(r, bindable, at) is { OutputSchema: { } schema })
                {
                    try
                    {
                        _ = OutputSchema.Parse(schema);
                    }
                    catch (OrchestraException ex)
                    {
                        r.Bag.Error($"{at}.output_schema", ex.Message);
                    }
                }
                break;
            case "cli":
                if (!bindable.ContainsKey("command"))
                {
                    r.Bag.Error(at, $"agent '{name}' (kind cli) needs 'command:', an argument list such as [\"git\", \"diff\", \"{{prompt}}\"].");
                    break;
                }
                if (Bind<CliAgentOptions>(r, bindable, at) is { } cli)
                {
                    try
                    {
                        cli.Validate();
                    }
                    catch (ArgumentException ex)
                    {
                        r.Bag.Error(at, $"agent '{name}': {ex.Message}.");
                    }
                }
                break;
            case "scripted":
                _ = Bind<ScriptedOptions>(r, bindable, at);
                break;
        }
    }

    /// <summary>Whether an agent changes its repository when its entry does not say: by its kind and permission.</summary>
    internal static RepoAccess DefaultAccess(PipelineAgent agent)
    {
        if (agent.Access is { } access)
            return access;
        return agent.Kind switch
        {
            null => RepoAccess.Read,
            "openai" or "anthropic" => agent.Spec["permission"] is JsonValue p && p.ToString() is "write" or "run" ? RepoAccess.Write : RepoAccess.Read,
            "scripted" => RepoAccess.Read,
            _ => RepoAccess.Write,
        };
    }

    /// <summary>Tool permission words, for the message of a write-capable agent.</summary>
    internal static string Permission(PipelineAgent agent) =>
        agent.Spec["permission"] is JsonValue p ? p.ToString() : nameof(ToolPermission.Read).ToLowerInvariant();
}
