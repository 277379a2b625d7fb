using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.State;
using Orchestra.Pipelines.Model;
using Orchestra.Workspace;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines;

/// <summary>
/// Reads a pipeline file and checks it against the schema: unknown keys, wrong types, bad durations and
/// names. Every problem in the file is reported at once, each with <c>file:line:column</c> and the fix.
/// Cross-references (unknown agents and nodes, unreachable nodes, loops) are checked by
/// <see cref="PipelineCompiler"/>.
/// </summary>
public static partial class PipelineLoader
{
    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="PipelineException">The file breaks the schema; <see cref="PipelineException.Diagnostics"/> lists every problem.</exception>
    /// <exception cref="OrchestraException">The file is missing, unreadable or not YAML.</exception>
    public static PipelineDocument Load(string path) => Read(YamlSource.Load(path), out _);

    /// <summary>Parses and checks YAML text; <paramref name="path"/> names it in messages and locates its prompt files.</summary>
    /// <exception cref="PipelineException">The text breaks the schema.</exception>
    public static PipelineDocument Parse(string path, string text) => Read(YamlSource.Parse(path, text), out _);

    /// <summary>Checks a parsed file; <paramref name="warnings"/> receives the warnings of a file without errors.</summary>
    internal static PipelineDocument Read(YamlSource source, out IReadOnlyList<PipelineDiagnostic> warnings)
    {
        var bag = new DiagnosticBag(source);
        var r = new SchemaReader(bag);
        if (source.Root is null)
        {
            bag.Error("$", "the pipeline file is empty: it needs at least 'graph: { edges: [...] }' and the agents its nodes use.");
            bag.ThrowIfErrors();
        }
        var root = r.Mapping(source.Root, "$", "a pipeline", PipelineKeys.Root);
        bag.ThrowIfErrors();

        var name = r.String(root, "name", "$");
        if (name is not null && !Ids.IsValidName(name))
            bag.Error("$.name", $"'{name}' is not a valid pipeline name: use letters, digits, '-', '_' or '.' (at most 64).");
        name ??= DefaultName(source.Path);

        var document = new PipelineDocument
        {
            Source = source,
            Name = name,
            Description = r.String(root, "description", "$"),
            Providers = ReadProviders(r, root),
            Repos = ReadRepos(r, root, out var tools),
            Tools = tools,
            Agents = ReadAgents(r, root),
            Inputs = ReadInputs(r, root),
            State = ReadState(r, root),
            Edges = ReadEdges(r, root),
            Nodes = ReadNodes(r, root),
            Defaults = ReadDefaults(r, root),
        };
        bag.ThrowIfErrors();
        warnings = bag.Items;
        return document;
    }

    /// <summary>The name of a pipeline without <c>name:</c>: the file's name, or its folder's for <c>pipeline.yaml</c>.</summary>
    private static string DefaultName(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var stem = System.IO.Path.GetFileNameWithoutExtension(full);
        if (stem is "pipeline" && System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(full)) is { Length: > 0 } folder)
            stem = folder;
        var cleaned = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).TrimStart('-', '_', '.');
        if (cleaned.Length > 64)
            cleaned = cleaned[..64];
        return Ids.IsValidName(cleaned) ? cleaned : "pipeline";
    }

    private static Dictionary<string, ProviderSpec> ReadProviders(SchemaReader r, JsonObject? root)
    {
        var providers = new Dictionary<string, ProviderSpec>(StringComparer.Ordinal);
        foreach (var (name, value, at) in r.Named(root, "$", "providers", "provider"))
        {
            if (Bind<ProviderSpec>(r, value, at) is not { } spec)
                continue;
            if (spec.Kind is not (null or "openai" or "anthropic"))
                r.Bag.Error($"{at}.kind", $"unknown provider kind '{spec.Kind}': use openai (any OpenAI-compatible endpoint) or anthropic.");
            if (spec.BaseUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                r.Bag.Error($"{at}.base_url", $"'{url}' is not an http(s) URL, for example http://127.0.0.1:8080/v1.");
            providers[name] = spec;
        }
        return providers;
    }

    private static List<PipelineRepo> ReadRepos(SchemaReader r, JsonObject? root, out Dictionary<string, JsonObject> tools)
    {
        tools = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var repos = new List<PipelineRepo>();
        if (!SchemaReader.TryGet(root, "workspace", out var node))
            return repos;
        var workspace = r.Mapping(node, "$.workspace", "'workspace'", PipelineKeys.Workspace);
        foreach (var (name, value, at) in r.Named(workspace, "$.workspace", "repos", "repository"))
        {
            string? path;
            RepoIsolation isolation = RepoIsolation.Shared;
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                path = v.GetValue<string>();
            else
            {
                var repo = r.Mapping(value, at, $"repository '{name}'", PipelineKeys.Repo);
                path = r.String(repo, "path", at, required: repo is not null, hint: "the repository's folder relative to the workspace root, such as '.' or services/api");
                isolation = r.Enum(repo, "isolation", at, ("shared", RepoIsolation.Shared), ("worktree", RepoIsolation.Worktree)) ?? RepoIsolation.Shared;
            }
            if (path is null)
                continue;
            if (System.IO.Path.IsPathRooted(path) || path.Replace('\\', '/').Split('/').Contains(".."))
                r.Bag.Error(at, $"repository '{name}' is at '{path}': give a folder inside the workspace, relative to its root.");
            repos.Add(new PipelineRepo(name, path, isolation, at));
        }
        foreach (var (name, value, at) in r.Named(workspace, "$.workspace", "tools", "tool"))
        {
            if (value is not JsonObject tool)
            {
                r.Bag.Error(at, $"tool '{name}' must be a mapping with at least 'command:', not {SchemaReader.Describe(value)}.");
                continue;
            }
            try
            {
                _ = Orchestra.Agents.Tools.ShellToolDefinition.FromJson(name, tool);
                tools[name] = tool;
            }
            catch (OrchestraException ex)
            {
                r.Bag.Error(at, ex.Message);
            }
        }
        return repos;
    }

    private static List<PipelineInput> ReadInputs(SchemaReader r, JsonObject? root)
    {
        var inputs = new List<PipelineInput>();
        foreach (var (name, value, at) in r.Named(root, "$", "inputs", "input"))
        {
            if (name is "inputs" or "state" or "outputs" or "route")
            {
                r.Bag.Error(at, $"'{name}' is a reserved word in templates and conditions: give the input another name.");
                continue;
            }
            var o = value is null ? null : r.Mapping(value, at, $"input '{name}'", PipelineKeys.Input);
            if (value is not null && o is null)
                continue;
            var type = ReadType(r, o, at) ?? PipelineValueType.String;
            var defaultValue = SchemaReader.TryGet(o, "default", out var d) ? d!.DeepClone() : null;
            if (defaultValue is not null && !TypeOf(type, defaultValue))
                r.Bag.Error($"{at}.default", $"the default of input '{name}' is {SchemaReader.Describe(defaultValue)}, which is not {Describe(type)}.");
            var required = r.Bool(o, "required", at);
            if (required == true && defaultValue is not null)
                r.Bag.Error($"{at}.required", $"input '{name}' is required and has a default: drop one of them.");
            inputs.Add(new PipelineInput
            {
                Name = name,
                At = at,
                Type = type,
                Required = required ?? defaultValue is null,
                Default = defaultValue,
                Description = r.String(o, "description", at),
            });
        }
        return inputs;
    }

    private static List<StateField> ReadState(SchemaReader r, JsonObject? root)
    {
        var fields = new List<StateField>();
        foreach (var (name, value, at) in r.Named(root, "$", "state", "state field"))
        {
            if (name is "inputs")
            {
                r.Bag.Error(at, "'inputs' is where a run keeps its inputs in the state document: give the field another name.");
                continue;
            }
            var o = value is null ? null : r.Mapping(value, at, $"state field '{name}'", PipelineKeys.State);
            if (value is not null && o is null)
                continue;
            var type = ReadType(r, o, at) ?? PipelineValueType.Any;
            var reducer = r.Enum(o, "reducer", at, ("replace", Reducer.Replace), ("append", Reducer.Append), ("merge", Reducer.Merge)) ?? Reducer.Replace;
            if (reducer == Reducer.Append && type is not (PipelineValueType.Any or PipelineValueType.List))
                r.Bag.Error($"{at}.reducer", $"the append reducer builds a list, but state field '{name}' has type {type.ToString().ToLowerInvariant()}: use type list or another reducer.");
            if (reducer == Reducer.Merge && type is not (PipelineValueType.Any or PipelineValueType.Object))
                r.Bag.Error($"{at}.reducer", $"the merge reducer combines mappings, but state field '{name}' has type {type.ToString().ToLowerInvariant()}: use type object or another reducer.");
            var defaultValue = SchemaReader.TryGet(o, "default", out var d) ? d!.DeepClone() : null;
            if (defaultValue is not null && !TypeOf(type, defaultValue))
                r.Bag.Error($"{at}.default", $"the default of state field '{name}' is {SchemaReader.Describe(defaultValue)}, which is not {Describe(type)}.");
            fields.Add(new StateField
            {
                Name = name,
                At = at,
                Type = type,
                Reducer = reducer,
                Default = defaultValue,
                Description = r.String(o, "description", at),
            });
        }
        return fields;
    }

    private static PipelineValueType? ReadType(SchemaReader r, JsonObject? o, string at) =>
        r.Enum(o, "type", at,
            ("string", PipelineValueType.String), ("number", PipelineValueType.Number), ("integer", PipelineValueType.Integer),
            ("boolean", PipelineValueType.Boolean), ("list", PipelineValueType.List), ("object", PipelineValueType.Object),
            ("any", PipelineValueType.Any));

    /// <summary>True when <paramref name="value"/> has the type <paramref name="type"/>.</summary>
    internal static bool TypeOf(PipelineValueType type, JsonNode? value) => type switch
    {
        PipelineValueType.Any => true,
        PipelineValueType.String => value?.GetValueKind() == JsonValueKind.String,
        PipelineValueType.Number => value?.GetValueKind() == JsonValueKind.Number,
        PipelineValueType.Integer => value?.GetValueKind() == JsonValueKind.Number && double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) % 1 == 0,
        PipelineValueType.Boolean => value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        PipelineValueType.List => value is JsonArray,
        PipelineValueType.Object => value is JsonObject,
        _ => false,
    };

    private static List<PipelineEdge> ReadEdges(SchemaReader r, JsonObject? root)
    {
        var edges = new List<PipelineEdge>();
        if (!SchemaReader.TryGet(root, "graph", out var node))
        {
            r.Bag.Error("$", "missing 'graph:': add 'graph: { edges: [ { from: START, to: first-node }, ... ] }'.");
            return edges;
        }
        var graph = r.Mapping(node, "$.graph", "'graph'", PipelineKeys.Graph);
        if (graph is null)
            return edges;
        if (!SchemaReader.TryGet(graph, "edges", out var list) || list is not JsonArray { Count: > 0 } items)
        {
            r.Bag.Error(graph.ContainsKey("edges") ? "$.graph.edges" : "$.graph", "'graph.edges' must be a non-empty list of edges such as { from: START, to: review }.");
            return edges;
        }
        for (var i = 0; i < items.Count; i++)
        {
            var at = $"$.graph.edges[{i}]";
            var e = r.Mapping(items[i], at, "an edge", PipelineKeys.Edge);
            if (e is null)
                continue;
            var from = r.Names(e, "from", at, "a node name (or START)");
            var to = r.Names(e, "to", at, "a node name (or END)");
            if (!e.ContainsKey("from"))
                r.Bag.Error(at, "this edge has no 'from:': name the node (or START) it leaves.");
            if (!e.ContainsKey("to"))
                r.Bag.Error(at, "this edge has no 'to:': name the node (or END) it goes to.");
            var condition = ReadCondition(r, e, at);
            var join = r.Enum(e, "join", at, ("all", JoinMode.All), ("any", JoinMode.Any));
            if (from is null || to is null)
                continue;
            edges.Add(new PipelineEdge
            {
                At = at,
                From = from,
                To = to,
                Join = join ?? JoinMode.All,
                JoinWritten = e.ContainsKey("join"),
                Condition = condition,
                MaxLoops = r.Int(e, "max_loops", at, 0),
                Fallback = r.String(e, "fallback", at),
                Approve = r.Bool(e, "approve", at) ?? false,
            });
        }
        return edges;
    }

    private static string? ReadCondition(SchemaReader r, JsonObject e, string at)
    {
        if (!SchemaReader.TryGet(e, "condition", out var node))
            return null;
        // 'condition: true' and route names that YAML reads as numbers or booleans are still conditions.
        if (node is JsonValue v)
            return v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
        r.Bag.Error($"{at}.condition", $"'condition' must be an expression such as outputs.critic.verdict == \"revise\" or a route name, not {SchemaReader.Describe(node)}.");
        return null;
    }

    private static List<PipelineNode> ReadNodes(SchemaReader r, JsonObject? root)
    {
        var nodes = new List<PipelineNode>();
        foreach (var (name, value, at) in r.Named(root, "$", "nodes", "node"))
        {
            var o = value is null ? null : r.Mapping(value, at, $"node '{name}'", PipelineKeys.Node);
            if (value is not null && o is null)
                continue;
            var task = ReadLayer(r, o, "task", at, PromptLayer.Task);
            if (SchemaReader.TryGet(o, "prompt", out _))
            {
                var text = r.String(o, "prompt", at, hint: "the node's task, a template such as 'Review {{ outputs.diff }}'");
                if (task is not null)
                    r.Bag.Error($"{at}.prompt", $"node '{name}' has both 'task:' and 'prompt:': keep one (prompt is the task written inline).");
                else if (text is not null)
                    task = new PromptLayerRef(PromptLayer.Task, null, text, $"{at}.prompt");
            }
            nodes.Add(new PipelineNode
            {
                Name = name,
                At = at,
                Agent = r.String(o, "agent", at),
                Task = task,
                MaxAttempts = ReadRetry(r, o, at),
                Timeout = r.Duration(o, "timeout", at),
                Approve = r.Bool(o, "approve", at) ?? false,
                OnReject = r.Enum(o, "on_reject", at, ("fail", RejectAction.Fail), ("revise", RejectAction.Revise)),
                Description = r.String(o, "description", at),
            });
        }
        return nodes;
    }

    private static int? ReadRetry(SchemaReader r, JsonObject? o, string at)
    {
        if (!SchemaReader.TryGet(o, "retry", out var node))
            return null;
        var retry = r.Mapping(node, $"{at}.retry", "'retry'", PipelineKeys.Retry);
        return r.Int(retry, "max_attempts", $"{at}.retry", 1);
    }

    private static PipelineDefaults ReadDefaults(SchemaReader r, JsonObject? root)
    {
        if (!SchemaReader.TryGet(root, "defaults", out var node))
            return new PipelineDefaults();
        var d = r.Mapping(node, "$.defaults", "'defaults'", PipelineKeys.Defaults);
        return new PipelineDefaults
        {
            Model = r.String(d, "model", "$.defaults"),
            MaxFailures = r.Int(d, "max_failures", "$.defaults", 1),
            MaxAttempts = ReadRetry(r, d, "$.defaults") ?? 1,
            Timeout = r.Duration(d, "timeout", "$.defaults"),
        };
    }

    /// <summary>A prompt layer: a file name, <c>{ file: name }</c> or <c>{ text: ... }</c>.</summary>
    private static PromptLayerRef? ReadLayer(SchemaReader r, JsonObject? o, string key, string at, PromptLayer layer)
    {
        if (!SchemaReader.TryGet(o, key, out var node))
            return null;
        var layerAt = $"{at}.{key}";
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return CheckFile(r, new PromptLayerRef(layer, v.GetValue<string>(), null, layerAt));
        if (node is JsonObject m)
        {
            r.UnknownKeys(m, layerAt, $"the {key} layer", PipelineKeys.LayerMapping);
            var file = r.String(m, "file", layerAt);
            var text = r.String(m, "text", layerAt);
            if ((file is null) == (text is null))
            {
                r.Bag.Error(layerAt, $"the {key} layer needs exactly one of 'file:' (a prompt file) or 'text:' (the text itself).");
                return null;
            }
            return file is not null ? CheckFile(r, new PromptLayerRef(layer, file, null, layerAt)) : new PromptLayerRef(layer, null, text, layerAt);
        }
        r.Bag.Error(layerAt, $"the {key} layer must be a prompt file name such as {key}s/reviewer, or {{ text: ... }}, not {SchemaReader.Describe(node)}.");
        return null;
    }

    private static PromptLayerRef? CheckFile(SchemaReader r, PromptLayerRef layer)
    {
        var file = layer.File!;
        if (file.Length == 0 || System.IO.Path.IsPathRooted(file) || file.StartsWith('~') || file.Replace('\\', '/').Split('/').Contains(".."))
        {
            r.Bag.Error(layer.At, $"'{file}' is not a prompt file name: give a path relative to the pipeline's folder, .orchestra/prompts/ or ~/.orchestra/prompts/, without '..'.");
            return null;
        }
        return layer;
    }

    /// <summary>Binds a mapping with the workspace's definition-file rules; errors go to the bag.</summary>
    private static T? Bind<T>(SchemaReader r, JsonNode? node, string at, params string[] ignore) where T : class
    {
        try
        {
            return SpecBinder.Bind<T>(r.Bag.Source, node, at, ignore);
        }
        catch (OrchestraException ex)
        {
            r.Bag.Add(Positioned(r.Bag.Source, at, ex.Message));
            return null;
        }
    }

    /// <summary>A diagnostic from the message of an exception that may already start with <c>file:line:column: </c>.</summary>
    internal static PipelineDiagnostic Positioned(YamlSource source, string at, string message)
    {
        var prefix = source.Path + ":";
        if (message.StartsWith(prefix, StringComparison.Ordinal))
        {
            var rest = message.AsSpan(prefix.Length);
            var colon1 = rest.IndexOf(':');
            var colon2 = colon1 > 0 ? rest[(colon1 + 1)..].IndexOf(':') : -1;
            if (colon2 > 0 && rest.Length > colon1 + colon2 + 2)
            {
                var end = prefix.Length + colon1 + 1 + colon2;
                return new PipelineDiagnostic(DiagnosticSeverity.Error, message[..end], Plain(message[(end + 1)..].TrimStart()));
            }
        }
        return new PipelineDiagnostic(DiagnosticSeverity.Error, source.Where(at), Plain(message));
    }

    /// <summary>Serializer wording such as "could not be converted to System.Nullable`1[System.Single]" in plain words.</summary>
    private static string Plain(string message)
    {
        const string marker = "could not be converted to ";
        var i = message.IndexOf(marker, StringComparison.Ordinal);
        if (i < 0)
            return message;
        var type = message[(i + marker.Length)..].TrimEnd('.');
        var wanted = type switch
        {
            _ when type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
            _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ when type.Contains("TimeSpan", StringComparison.Ordinal) => "a duration such as 30s",
            _ when type.Contains("String", StringComparison.Ordinal) && type.Contains("Dictionary", StringComparison.Ordinal) => "a mapping",
            _ when type.Contains("List", StringComparison.Ordinal) || type.Contains("[]", StringComparison.Ordinal) => "a list",
            _ when type == "System.String" => "text",
            _ => null,
        };
        return wanted is null ? message : $"the value has the wrong type: expected {wanted}.";
    }

    /// <summary>A type with its article, for messages: "an integer", "a list".</summary>
    internal static string Describe(PipelineValueType type) => type switch
    {
        PipelineValueType.Integer => "an integer",
        PipelineValueType.Any => "any value",
        _ => $"a {type.ToString().ToLowerInvariant()}",
    };
}
