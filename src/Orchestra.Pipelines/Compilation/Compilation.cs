using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Core.State;
using Orchestra.Pipelines.Conditions;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;
using Orchestra.Workspace;

namespace Orchestra.Pipelines;

/// <summary>One compilation of one pipeline: resolves agents and nodes, checks the graph, builds it.</summary>
internal sealed partial class Compilation
{
    private const string Start = GraphDefinition.Start;
    private const string End = GraphDefinition.End;

    private readonly PipelineDocument _doc;
    private readonly PipelineCompileOptions _options;
    private readonly DiagnosticBag _bag;
    private readonly Dictionary<string, CompiledAgent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PipelineAgent> _agentEntries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (PipelineNode? Entry, string At)> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _nodeAgents = new(StringComparer.Ordinal);
    private readonly List<AnalysisEdge> _edges = [];
    private readonly HashSet<string> _usedAgents = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _workspaceAgents;

    public Compilation(PipelineDocument document, PipelineCompileOptions options, IReadOnlyList<PipelineDiagnostic> loadWarnings)
    {
        _doc = document;
        _options = options;
        _bag = new DiagnosticBag(document.Source);
        foreach (var w in loadWarnings)
            _bag.Add(w);
    }

    private OrchestraWorkspace? Workspace => _options.Workspace;

    public CompiledPipeline Run()
    {
        ResolveAgents();
        DeclareNodes();
        ReadEdges();
        ResolveNodeAgents();
        if (!_bag.HasErrors)
            CheckGraph();
        var prompts = ComposePrompts();
        CheckRepositories();
        foreach (var agent in _doc.Agents.Where(a => !_usedAgents.Contains(a.Name)))
            _bag.Warning(agent.At, $"agent '{agent.Name}' is not used by any node: remove it, or give a node 'agent: {agent.Name}'.");
        _bag.ThrowIfErrors();

        var graph = Build(prompts, out var compiledEdges);
        var nodes = _nodes.Keys.Select(name => new CompiledNode
        {
            Name = name,
            Agent = _agents[_nodeAgents[name]],
            Prompt = prompts[name],
            MaxAttempts = _nodes[name].Entry?.MaxAttempts ?? _doc.Defaults.MaxAttempts,
            Timeout = _nodes[name].Entry?.Timeout ?? _doc.Defaults.Timeout,
            Approve = _nodes[name].Entry?.Approve ?? false,
            OnReject = _nodes[name].Entry?.OnReject ?? RejectAction.Fail,
            Interactive = _agents[_nodeAgents[name]].Mode == AgentMode.Interactive,
            Location = Where(_nodes[name].At),
        }).ToList();
        var agents = _agents.Values.Where(a => _usedAgents.Contains(a.Name)).ToList();
        return new CompiledPipeline(_doc, graph, agents, nodes, compiledEdges, Dedupe(_bag.Items));
    }

    private static List<PipelineDiagnostic> Dedupe(IEnumerable<PipelineDiagnostic> items) =>
        items.Distinct().ToList();

    private string Where(string at) => _doc.Source.Where(at);

    // ---- agents ---------------------------------------------------------------------------------------------

    private void ResolveAgents()
    {
        var repos = _doc.Repos.Select(r => r.Name).ToList();
        foreach (var a in _doc.Agents)
        {
            _agentEntries[a.Name] = a;
            if (a.Repo is { } repo && !repos.Contains(repo))
                _bag.Error($"{a.At}.repo", repos.Count == 0
                    ? $"agent '{a.Name}' works in repository '{repo}', but the pipeline declares none: add it under workspace.repos."
                    : $"agent '{a.Name}' works in unknown repository '{repo}'. Known repositories: {string.Join(", ", repos)}.");
            string? kind = a.Kind;
            var access = a.Access;
            AgentDefinition? definition = null;
            if (a.Use is { } use)
            {
                var file = ReadWorkspaceAgent(use, $"{a.At}.use");
                kind = file?.Kind;
                access ??= file is null ? null : PipelineLoader.DefaultAccess(new PipelineAgent { Name = use, At = a.At, Kind = file.Kind, Spec = file.Spec });
            }
            else
            {
                var spec = (JsonObject)a.Spec.DeepClone();
                if (a.Kind is "openai" or "anthropic" && a.Model is null && _doc.Defaults.Model is { } model)
                    spec["model"] = model;
                definition = new AgentDefinition(RuntimeName(a.Name), a.Kind!, spec, _doc.Source);
            }
            _agents[a.Name] = new CompiledAgent
            {
                Name = a.Name,
                RuntimeName = a.Use ?? RuntimeName(a.Name),
                Kind = kind,
                Use = a.Use,
                Model = a.Kind is "openai" or "anthropic" ? a.Model ?? _doc.Defaults.Model : null,
                Mode = a.Mode,
                Repo = a.Repo ?? DefaultRepo,
                Access = access ?? PipelineLoader.DefaultAccess(a),
                Definition = definition,
                Location = Where(a.At),
            };
        }
    }

    /// <summary>The repository of agents that name none: the first one declared, or null for the workspace root.</summary>
    private string? DefaultRepo => _doc.Repos.Count > 0 ? _doc.Repos[0].Name : null;

    private string RuntimeName(string agent) => $"pipeline:{_doc.Name}:{agent}";

    /// <summary>Reads <c>.orchestra/agents/&lt;name&gt;.yaml</c> as a definition; errors are reported at <paramref name="at"/>.</summary>
    private AgentDefinition? ReadWorkspaceAgent(string name, string at)
    {
        if (Workspace is null)
        {
            _bag.Error(at, $"agent '{name}' is a workspace agent, but {_doc.Path} is not inside a project: run 'orchestra init' in the project, or define the agent in the pipeline with 'kind:'.");
            return null;
        }
        try
        {
            if (!Workspace.Agents.Contains(name))
            {
                _bag.Error(at, Workspace.Agents.UnknownMessage(name));
                return null;
            }
            return Workspace.Agents.Definition(name);
        }
        catch (OrchestraException ex)
        {
            _bag.Error(at, $"agent '{name}' cannot be used: {ex.Message}");
            return null;
        }
    }

    /// <summary>True when <paramref name="name"/> is an agent of the pipeline, or a valid workspace agent (added then).</summary>
    private bool TryAgent(string name, string at)
    {
        if (_agents.ContainsKey(name))
            return true;
        if (Workspace is null || !Core.Model.Ids.IsValidName(name) || !WorkspaceAgentNames().Contains(name))
            return false;
        var file = ReadWorkspaceAgent(name, at);
        if (file is null)
            return true;
        _agents[name] = new CompiledAgent
        {
            Name = name,
            RuntimeName = name,
            Kind = file.Kind,
            Use = name,
            Repo = DefaultRepo,
            Access = PipelineLoader.DefaultAccess(new PipelineAgent { Name = name, At = at, Kind = file.Kind, Spec = file.Spec }),
            Location = file.Source.Path,
        };
        return true;
    }

    private IReadOnlyList<string> WorkspaceAgentNames() => _workspaceAgents ??= Workspace?.Agents.Names() ?? [];

    private string KnownAgents()
    {
        var inline = _doc.Agents.Select(a => a.Name).ToList();
        var workspace = WorkspaceAgentNames().Where(n => !inline.Contains(n)).ToList();
        if (inline.Count == 0 && workspace.Count == 0)
            return "No agents are defined: add them under 'agents:'.";
        var parts = new List<string>();
        if (inline.Count > 0) parts.Add(string.Join(", ", inline));
        if (workspace.Count > 0) parts.Add($"{string.Join(", ", workspace)} (.orchestra/agents/)");
        return $"Known agents: {string.Join("; ", parts)}.";
    }

    // ---- nodes ----------------------------------------------------------------------------------------------

    private void DeclareNodes()
    {
        foreach (var n in _doc.Nodes)
        {
            _nodes[n.Name] = (n, n.At);
            if (n.OnReject is not null && !n.Approve)
                _bag.Warning($"{n.At}.on_reject", $"node '{n.Name}' has 'on_reject:' but no 'approve: true', so nothing can reject it: add 'approve: true' or remove 'on_reject:'.");
        }
    }

    private void ResolveNodeAgents()
    {
        foreach (var (name, (entry, at)) in _nodes)
        {
            var agent = entry?.Agent ?? name;
            var agentAt = entry?.Agent is not null ? $"{at}.agent" : at;
            if (TryAgent(agent, agentAt))
            {
                _nodeAgents[name] = agent;
                _usedAgents.Add(agent);
                continue;
            }
            var near = SchemaReader.Suggest(agent, _agents.Keys.Concat(WorkspaceAgentNames()));
            _bag.Error(agentAt, entry?.Agent is not null
                ? $"unknown agent '{agent}' for node '{name}'{(near is null ? "." : $": did you mean '{near}'?")} {KnownAgents()}"
                : $"node '{name}' names no agent and no agent is called '{name}': add 'agent:' to it under nodes.{name}. {KnownAgents()}");
        }
    }
}
