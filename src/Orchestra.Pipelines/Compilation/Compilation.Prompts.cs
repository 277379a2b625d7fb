using Orchestra.Core;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;

namespace Orchestra.Pipelines;

internal sealed partial class Compilation
{
    private static readonly HashSet<string> TemplateRoots = new(StringComparer.Ordinal) { "inputs", "state", "outputs", "route" };

    /// <summary>Composes every node's prompt; missing files and bad templates are errors, unknown variables warnings.</summary>
    private Dictionary<string, ComposedPrompt> ComposePrompts()
    {
        var prompts = new Dictionary<string, ComposedPrompt>(StringComparer.Ordinal);
        var composer = new PromptComposer(_options.Prompts ?? PromptSearchPath.For(_doc.Directory, Workspace));
        var analysis = new GraphAnalysis(_nodes.Keys.ToList(), _edges);
        var resolved = new Dictionary<PromptLayerRef, ResolvedLayer?>();
        var checks = new List<(string Node, PromptTemplate Template, ResolvedLayer Layer, PromptLayerRef Reference)>();
        foreach (var (name, (entry, at)) in _nodes)
        {
            var layers = new List<PromptLayerRef>();
            if (_nodeAgents.TryGetValue(name, out var agent) && _agentEntries.TryGetValue(agent, out var agentEntry))
                layers.AddRange(agentEntry.Layers.Where(l => entry?.Task is null || l.Layer != PromptLayer.Task));
            if (entry?.Task is { } task)
                layers.Add(task);
            var parts = new List<ResolvedLayer>();
            foreach (var layer in layers)
            {
                if (!resolved.TryGetValue(layer, out var r))
                {
                    try
                    {
                        r = composer.Resolve(layer, Where(layer.At));
                    }
                    catch (OrchestraException ex)
                    {
                        _bag.Error(layer.At, ex.Message);
                        r = null;
                    }
                    resolved[layer] = r;
                }
                if (r is not null)
                    parts.Add(r);
            }
            ComposedPrompt prompt;
            try
            {
                prompt = PromptComposer.Compose(parts);
            }
            catch (OrchestraException ex)
            {
                _bag.Error(at, ex.Message);
                prompt = PromptComposer.Compose([]);
            }
            prompts[name] = prompt;
            if (parts.Count == 0 && layers.Count == 0)
                _bag.Warning(at, $"node '{name}' has no prompt: give its agent a 'task:' layer, or the node a 'prompt:'.");
            if (prompt.Task is { } template && parts.LastOrDefault(p => p.Layer == PromptLayer.Task) is { } taskLayer)
                checks.Add((name, template, taskLayer, layers.Last(l => l.Layer == PromptLayer.Task)));
        }
        PromptTemplate.Precompile(checks.Select(c => c.Template));
        foreach (var (node, template, layer, reference) in checks)
            CheckTemplate(node, template, layer, reference, analysis);
        return prompts;
    }

    private void CheckTemplate(string node, PromptTemplate template, ResolvedLayer layer, PromptLayerRef reference, GraphAnalysis analysis)
    {
        string Location(TemplateReference r) => layer.Origin == PromptOrigin.Inline ? Where(reference.At) : $"{layer.Source}:{r.Line}:{r.Column}";
        void Warn(TemplateReference r, string message) => _bag.Add(new PipelineDiagnostic(DiagnosticSeverity.Warning, Location(r), message));
        try
        {
            template.Check();
        }
        catch (OrchestraException ex)
        {
            _bag.Add(new PipelineDiagnostic(DiagnosticSeverity.Error, layer.Origin == PromptOrigin.Inline ? Where(reference.At) : layer.Source,
                $"the task of node '{node}' is not a valid template: {ex.Message.Replace("the task is not a valid template: ", "", StringComparison.Ordinal)}."));
            return;
        }
        var inputs = _doc.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var state = _doc.State.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        HashSet<string>? upstream = null;
        foreach (var r in template.References)
        {
            var segments = r.Segments;
            var second = segments.Count > 1 ? segments[1] : null;
            switch (r.Root)
            {
                case var root when inputs.Contains(root) || state.Contains(root):
                    break;
                case "inputs" when second is not null && !inputs.Contains(second):
                    Warn(r, $"'{{{{ {r.Path} }}}}' in the task of node '{node}': the pipeline has no input '{second}'{Near(second, inputs)}, so it renders empty.");
                    break;
                case "state" when second is not null && !state.Contains(second):
                    Warn(r, $"'{{{{ {r.Path} }}}}' in the task of node '{node}': '{second}' is not declared under 'state:'{Near(second, state)}; it renders empty until a node writes it.");
                    break;
                case "outputs" when second is not null:
                    upstream ??= analysis.Upstream(node);
                    if (!_nodes.ContainsKey(second))
                        Warn(r, $"'{{{{ {r.Path} }}}}' in the task of node '{node}': there is no node '{second}'{Near(second, _nodes.Keys)}, so it renders empty.");
                    else if (!upstream.Contains(second))
                        Warn(r, $"'{{{{ {r.Path} }}}}' in the task of node '{node}': node '{second}' does not run before '{node}', so its output is not there yet.");
                    break;
                case var root when TemplateRoots.Contains(root):
                    break;
                default:
                    Warn(r, $"'{{{{ {r.Path} }}}}' in the task of node '{node}' is not an input, a state field, or under inputs., state. or outputs.{Near(r.Root, inputs.Concat(state))}; it renders empty.");
                    break;
            }
        }
    }

    /// <summary>Warns when agents that may run at the same time change one repository without worktree isolation.</summary>
    private void CheckRepositories()
    {
        if (_bag.HasErrors)
            return;
        var writers = _nodes.Keys
            .Where(n => _nodeAgents.TryGetValue(n, out var a) && _agents[a].Access == RepoAccess.Write)
            .Select(n => (Node: n, Agent: _agents[_nodeAgents[n]]))
            .ToList();
        if (writers.Count < 2)
            return;
        var analysis = new GraphAnalysis(_nodes.Keys.ToList(), _edges);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < writers.Count; i++)
        {
            for (var j = i + 1; j < writers.Count; j++)
            {
                var (a, b) = (writers[i], writers[j]);
                if (a.Agent.Repo != b.Agent.Repo)
                    continue;
                var repo = _doc.Repos.FirstOrDefault(r => r.Name == a.Agent.Repo);
                if (repo?.Isolation == RepoIsolation.Worktree || !analysis.MayRunTogether(a.Node, b.Node) || !reported.Add($"{a.Node}|{b.Node}"))
                    continue;
                var fix = repo is null
                    ? "declare the repository under workspace.repos with 'isolation: worktree'"
                    : $"set 'isolation: worktree' on workspace.repos.{repo.Name}";
                _bag.Warning(_nodes[b.Node].At,
                    $"nodes '{a.Node}' and '{b.Node}' may run at the same time and both change {(repo is null ? "the workspace" : $"repository '{repo.Name}'")}: {fix}, or order them with an edge.");
            }
        }
    }
}
