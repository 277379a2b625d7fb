using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Core.State;
using Orchestra.Pipelines.Conditions;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;

namespace Orchestra.Pipelines;

internal sealed partial class Compilation
{
    private void ReadEdges()
    {
        foreach (var e in _doc.Edges)
        {
            var ok = true;
            for (var i = 0; i < e.From.Count; i++)
                ok &= CheckEndpoint(e.From[i], e.From.Count > 1 ? $"{e.At}.from[{i}]" : $"{e.At}.from", source: true, e.From.Count);
            for (var i = 0; i < e.To.Count; i++)
                ok &= CheckEndpoint(e.To[i], e.To.Count > 1 ? $"{e.At}.to[{i}]" : $"{e.At}.to", source: false, e.From.Count);
            if (e.Fallback is { } fallback)
            {
                if (e.MaxLoops is null)
                    _bag.Error($"{e.At}.fallback", "'fallback' is where the edge goes once its max_loops is spent: add 'max_loops:' to this edge.");
                ok &= fallback == Start
                    ? Fail($"{e.At}.fallback", "an edge cannot fall back to START: name a node or END.")
                    : CheckEndpoint(fallback, $"{e.At}.fallback", source: false, 1);
            }
            if (e.JoinWritten && e.From.Count < 2)
                _bag.Warning($"{e.At}.join", "'join' only matters for a fan-in (from: [a, b]); this edge has one source.");
            Condition? condition = null;
            if (e.Condition is { } text)
            {
                try
                {
                    condition = Condition.Parse(text);
                    CheckConditionPaths(condition, $"{e.At}.condition");
                }
                catch (ConditionSyntaxException ex)
                {
                    _bag.Error($"{e.At}.condition", $"{ex.Problem} at column {ex.Column} of the condition '{ex.Text}'. See the condition grammar in docs/pipelines.md.");
                    ok = false;
                }
            }
            if (ok)
                _edges.Add(new AnalysisEdge(e, condition));
        }
    }

    private bool Fail(string at, string message)
    {
        _bag.Error(at, message);
        return false;
    }

    /// <summary>Checks one end of an edge; a name that is no node but an agent becomes a node running that agent.</summary>
    private bool CheckEndpoint(string name, string at, bool source, int sources)
    {
        if (name == Start)
            return source
                ? sources == 1 || Fail(at, "START cannot be part of a fan-in: give it an edge of its own.")
                : Fail(at, "no edge can go to START: the graph begins there once. Point the edge at a node, or use max_loops to go back to one.");
        if (name == End)
            return !source || Fail(at, "no edge can leave END: it is where the run finishes. Start this edge from a node.");
        if (_nodes.ContainsKey(name))
            return true;
        if (TryAgent(name, at))
        {
            _nodes[name] = (null, at);
            return true;
        }
        var known = _nodes.Keys.Concat(_agents.Keys).Concat(WorkspaceAgentNames()).Distinct().ToList();
        var near = SchemaReader.Suggest(name, known);
        return Fail(at, $"unknown node '{name}'{(near is null ? "." : $": did you mean '{near}'?")} Declare it under 'nodes:' or define an agent called '{name}'."
            + (known.Count > 0 ? $" Known nodes and agents: {string.Join(", ", known)}." : ""));
    }

    /// <summary>A condition may only read nodes and inputs that exist; undeclared state fields are warned about.</summary>
    private void CheckConditionPaths(Condition condition, string at)
    {
        foreach (var p in condition.Paths)
        {
            switch (p.Root)
            {
                case "outputs" when p.Name is { } node && !_nodes.ContainsKey(node) && !_agents.ContainsKey(node):
                    _bag.Error(at, $"the condition reads '{p.Text}', but there is no node '{node}'{Near(node, _nodes.Keys)}.");
                    break;
                case "inputs" when p.Name is { } input && _doc.Inputs.All(i => i.Name != input):
                    _bag.Error(at, $"the condition reads '{p.Text}', but the pipeline has no input '{input}'{Near(input, _doc.Inputs.Select(i => i.Name))}: declare it under 'inputs:'.");
                    break;
                case "state" when p.Name is { } field && _doc.State.All(s => s.Name != field):
                    _bag.Warning(at, $"the condition reads '{p.Text}', but '{field}' is not declared under 'state:'{Near(field, _doc.State.Select(s => s.Name))}; it is null until a node writes it.");
                    break;
            }
        }
    }

    private static string Near(string word, IEnumerable<string> known) =>
        SchemaReader.Suggest(word, known) is { } near ? $" (did you mean '{near}'?)" : "";

    private void CheckGraph()
    {
        var analysis = new GraphAnalysis(_nodes.Keys.ToList(), _edges);
        if (!_edges.Any(e => e.From.Contains(Start)))
            _bag.Error("$.graph.edges", "no edge leaves START, so nothing would run: add { from: START, to: <first node> }.");
        foreach (var node in analysis.Unreachable())
        {
            var (entry, at) = _nodes[node];
            _bag.Error(at, !_edges.Any(e => e.Activates.Contains(node))
                ? $"no edge leads to node '{node}': add an edge such as {{ from: START, to: {node} }}{(entry is null ? "" : " or remove the node")}."
                : $"node '{node}' cannot be reached from START: every edge into it starts at a node that never runs.");
        }
        if (analysis.UnboundedCycle() is { } cycle)
            _bag.Error(cycle.Edge.Edge.At, $"the loop {cycle.Cycle} has no bound: give one of its edges 'max_loops:' (and a 'fallback:' for when it is spent).");
        foreach (var join in _edges.Where(e => e.From.Count > 1 && e.Edge.Join == JoinMode.All))
        {
            var missing = analysis.JoinMisses(join);
            if (missing.Count == 0)
                continue;
            var conditional = missing.Where(m => _edges.Where(e => e.Activates.Contains(m)).All(e => !e.Guaranteed)).ToList();
            var why = conditional.Count > 0
                ? $"{Names(conditional)} {(conditional.Count == 1 ? "is" : "are")} reached only through a condition or a loop bound"
                : $"{Names(missing)} {(missing.Count == 1 ? "is" : "are")} on a path that excludes the others";
            _bag.Error($"{join.Edge.At}.from", $"this 'join: all' waits for {Names(join.From)}, but they cannot all arrive: {why}. Use 'join: any', or make every branch start from one node without conditions.");
        }
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    private GraphDefinition Build(Dictionary<string, ComposedPrompt> prompts, out List<CompiledEdge> edges)
    {
        var builder = new GraphBuilder(_doc.Name);
        foreach (var (name, (entry, _)) in _nodes)
        {
            var prompt = prompts[name];
            var agent = _agents[_nodeAgents[name]];
            builder.Add(new GraphNode
            {
                Name = name,
                Agent = agent.RuntimeName,
                Prompt = context => prompt.Render(TemplateModel.From(context)),
                MaxAttempts = entry?.MaxAttempts ?? _doc.Defaults.MaxAttempts,
                Timeout = entry?.Timeout ?? _doc.Defaults.Timeout,
                Approve = entry?.Approve ?? false,
                OnReject = entry?.OnReject ?? RejectAction.Fail,
                Interactive = agent.Mode == AgentMode.Interactive,
            });
        }
        edges = [];
        foreach (var e in _edges)
        {
            var condition = e.Condition;
            builder.AddEdge(e.From, e.To, condition is null ? null : condition.Evaluate, e.Edge.Join, e.Edge.MaxLoops, e.Edge.Fallback, e.Edge.Approve);
            edges.Add(new CompiledEdge
            {
                Id = $"e{edges.Count}",
                From = e.From,
                To = e.To,
                Join = e.Edge.Join,
                Condition = condition,
                MaxLoops = e.Edge.MaxLoops,
                Fallback = e.Edge.Fallback,
                Approve = e.Edge.Approve,
                Location = Where(e.Edge.At),
            });
        }
        foreach (var field in _doc.State.Where(f => f.Reducer != Reducer.Replace))
            builder.WithReducer(field.Name, field.Reducer);
        try
        {
            return builder.Build();
        }
        catch (OrchestraException ex)
        {
            // The checks above cover what the builder refuses; this keeps any gap positioned.
            throw new PipelineException([.. _bag.Items, new PipelineDiagnostic(DiagnosticSeverity.Error, Where("$.graph"), ex.Message)]);
        }
    }
}
