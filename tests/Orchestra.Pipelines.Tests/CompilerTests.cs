using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Core.State;

namespace Orchestra.Pipelines.Tests;

public sealed class CompilerTests : IDisposable
{
    private readonly TempPipeline _p = new();

    public void Dispose() => _p.Dispose();

    private string File => _p.PipelinePath;

    private const string Agents = """
        agents:
          a: { kind: scripted, task: { text: "do a" } }
          b: { kind: scripted, task: { text: "do b" } }
          c: { kind: scripted, task: { text: "do c" } }
          d: { kind: scripted, task: { text: "do d" } }

        """;

    [Fact]
    public void Fan_out_and_fan_in_become_graph_edges()
    {
        var compiled = _p.Compile(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: [b, c] }
                - { from: [b, c], to: d, join: any }
                - { from: d, to: END }
            """);

        var graph = compiled.Graph;
        Assert.Equal(["a", "b", "c", "d"], graph.Nodes.Keys.Order());
        Assert.Equal("pipeline:pipelines:a", graph.Nodes["a"].Agent);
        Assert.Equal(["b", "c"], graph.Edges[1].To);
        Assert.Equal(["b", "c"], graph.Edges[2].From);
        Assert.Equal(JoinMode.Any, graph.Edges[2].Join);
        Assert.Equal(["e0", "e1", "e2", "e3"], compiled.Edges.Select(e => e.Id));
        Assert.Equal(graph.Edges.Select(e => e.Id), compiled.Edges.Select(e => e.Id));
        Assert.Empty(compiled.Warnings);
    }

    [Fact]
    public void Conditions_compile_to_functions_over_the_graph_context()
    {
        var compiled = _p.Compile(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: b, condition: outputs.a.verdict == "go" }
                - { from: a, to: c, condition: revise }
            """);

        var go = new GraphContext([], new JsonObject { ["a"] = new JsonObject { ["verdict"] = "go" } }, "a", null);
        var revise = new GraphContext([], new JsonObject { ["a"] = "text" }, "a", "revise");
        Assert.True(compiled.Graph.Edges[1].Condition!(go));
        Assert.False(compiled.Graph.Edges[1].Condition!(revise));
        Assert.True(compiled.Graph.Edges[2].Condition!(revise));
        Assert.Equal("revise", compiled.Edges[2].Condition!.RouteName);
    }

    [Fact]
    public void Loops_keep_their_bound_and_fallback()
    {
        var compiled = _p.Compile(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: b }
                - { from: b, to: a, condition: revise, max_loops: 2, fallback: c }
                - { from: b, to: c, condition: done }
            """);

        var loop = compiled.Graph.Edges[2];
        Assert.Equal((2, "c"), (loop.MaxLoops, loop.Fallback));
    }

    [Fact]
    public void Nodes_take_their_settings_or_the_defaults_and_state_fields_their_reducers()
    {
        var compiled = _p.Compile(Agents + """
            state:
              notes: { type: list, reducer: append }
              meta: { reducer: merge }
              last: {}
            nodes:
              first: { agent: a, retry: { max_attempts: 4 }, timeout: 2m, approve: true }
            graph:
              edges:
                - { from: START, to: first }
                - { from: first, to: b }
            defaults:
              retry: { max_attempts: 2 }
              timeout: 30s
            """);

        var first = compiled.Graph.Nodes["first"];
        Assert.Equal(("pipeline:pipelines:a", 4, TimeSpan.FromMinutes(2)), (first.Agent, first.MaxAttempts, first.Timeout));
        Assert.Equal((2, TimeSpan.FromSeconds(30)), (compiled.Graph.Nodes["b"].MaxAttempts, compiled.Graph.Nodes["b"].Timeout));
        Assert.True(compiled.Nodes.Single(n => n.Name == "first").Approve);
        Assert.Equal(Reducer.Append, compiled.Graph.Reducers["notes"]);
        Assert.Equal(Reducer.Merge, compiled.Graph.Reducers["meta"]);
        Assert.False(compiled.Graph.Reducers.ContainsKey("last"));
        // Agents not used by a node are warned about.
        Assert.Contains(compiled.Warnings, w => w.Message.StartsWith("agent 'c' is not used by any node", StringComparison.Ordinal));
    }

    [Fact]
    public void Prompts_render_layers_and_the_task_over_inputs_state_and_outputs()
    {
        _p.Write("roles/writer.md", "You write release notes.");
        var compiled = _p.Compile("""
            inputs:
              version: { default: "1.0" }
            state:
              audience: { default: developers }
            agents:
              writer:
                kind: scripted
                role: roles/writer
                personality: { text: "Be brief & precise." }
                task: { text: "Notes for {{ version }} ({{ inputs.version }}) for {{ audience }}: {{ outputs.plan.items }} {{json outputs.plan}} <{{ route }}>" }
              plan: { kind: scripted, task: { text: "plan" } }
            graph:
              edges:
                - { from: START, to: plan }
                - { from: plan, to: writer }
            """);

        var state = compiled.CreateInitialState(new Dictionary<string, JsonNode?>());
        var outputs = new JsonObject { ["plan"] = new JsonObject { ["items"] = new JsonArray("a", "b") } };
        var prompt = compiled.Graph.Nodes["writer"].Prompt!(new GraphContext(state, outputs, "plan", "next"));

        Assert.Equal("You write release notes.\n\nBe brief & precise.\n\nNotes for 1.0 (1.0) for developers: a,b {\n  \"items\": [\n    \"a\",\n    \"b\"\n  ]\n} <next>", prompt);
    }

    [Fact]
    public void Initial_state_holds_inputs_converted_to_their_types_and_state_defaults()
    {
        var compiled = _p.Compile(Agents + """
            inputs:
              base: {}
              depth: { type: integer, default: 1 }
              strict: { type: boolean, default: false }
              paths: { type: list, default: [] }
            state:
              notes: { type: list, default: [] }
            graph:
              edges: [ { from: START, to: a } ]
            """);

        var state = compiled.CreateInitialState(new Dictionary<string, JsonNode?> { ["base"] = "main", ["depth"] = "3", ["strict"] = "true", ["paths"] = "[\"src\"]" });

        Assert.Equal("""{"inputs":{"base":"main","depth":3,"strict":true,"paths":["src"]},"notes":[]}""", state.ToJsonString());
    }

    [Fact]
    public void Missing_or_bad_inputs_are_refused_when_the_run_starts()
    {
        var compiled = _p.Compile(Agents + """
            inputs:
              base: { description: The branch. }
              depth: { type: integer, default: 1 }
            graph:
              edges: [ { from: START, to: a } ]
            """);

        var missing = Assert.Throws<OrchestraException>(() => compiled.CreateInitialState(new Dictionary<string, JsonNode?>()));
        Assert.Equal($"missing required input 'base' (declared at {File}:7:3): pass --input base=VALUE.", missing.Message);
        var unknown = Assert.Throws<OrchestraException>(() => compiled.CreateInitialState(new Dictionary<string, JsonNode?> { ["base"] = "x", ["bsae"] = "y" }));
        Assert.Equal("pipeline 'pipelines' has no input 'bsae'. Its inputs: base, depth.", unknown.Message);
        var type = Assert.Throws<OrchestraException>(() => compiled.CreateInitialState(new Dictionary<string, JsonNode?> { ["base"] = "x", ["depth"] = "deep" }));
        Assert.Equal("input 'depth' must be an integer, not the text 'deep'.", type.Message);
    }

    [Fact]
    public void Unknown_agent_of_a_node_is_an_error_naming_the_known_ones() =>
        Assert.Equal($"{File}:7:8: unknown agent 'bb' for node 'x': did you mean 'b'? Known agents: a, b, c, d.",
            _p.Error(Agents + """
                nodes:
                  x: { agent: bb }
                graph:
                  edges: [ { from: START, to: x } ]
                """));

    [Fact]
    public void Unknown_node_in_an_edge_is_an_error() =>
        Assert.Equal($"{File}:9:18: unknown node 'cc': did you mean 'c'? Declare it under 'nodes:' or define an agent called 'cc'. Known nodes and agents: a, b, c, d.",
            _p.Error(Agents + """
                graph:
                  edges:
                    - { from: START, to: a }
                    - { from: a, to: cc }
                """));

    [Fact]
    public void Unreachable_nodes_are_errors()
    {
        var errors = _p.Errors(Agents + """
            nodes:
              lonely: { agent: a }
            graph:
              edges:
                - { from: START, to: a }
                - { from: b, to: c }
            """);

        Assert.Equal(
        [
            $"{File}:7:3: no edge leads to node 'lonely': add an edge such as {{ from: START, to: lonely }} or remove the node.",
            $"{File}:11:9: no edge leads to node 'b': add an edge such as {{ from: START, to: b }}.",
            $"{File}:11:18: node 'c' cannot be reached from START: every edge into it starts at a node that never runs.",
        ], errors);
    }

    [Fact]
    public void A_cycle_without_max_loops_is_an_error() =>
        Assert.Equal($"{File}:10:7: the loop a → b → a has no bound: give one of its edges 'max_loops:' (and a 'fallback:' for when it is spent).",
            _p.Error(Agents + """
                graph:
                  edges:
                    - { from: START, to: a }
                    - { from: a, to: b }
                    - { from: b, to: a, condition: again }
                    - { from: b, to: END, condition: done }
                """));

    [Fact]
    public void A_fallback_that_leads_back_into_the_loop_is_unbounded() =>
        Assert.Contains("has no bound", _p.Error(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: a, max_loops: 2, fallback: b }
                - { from: b, to: a }
            """), StringComparison.Ordinal);

    [Fact]
    public void A_join_all_with_a_conditional_branch_is_an_error() =>
        Assert.Equal($"{File}:11:9: this 'join: all' waits for 'b', 'c', but they cannot all arrive: 'c' is reached only through a condition or a loop bound. Use 'join: any', or make every branch start from one node without conditions.",
            _p.Error(Agents + """
                graph:
                  edges:
                    - { from: START, to: a }
                    - { from: a, to: b }
                    - { from: a, to: c, condition: state.wide }
                    - { from: [b, c], to: d }
                """));

    [Fact]
    public void A_join_all_over_exclusive_routes_is_an_error() =>
        Assert.Contains("they cannot all arrive", _p.Error(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: b, condition: left }
                - { from: a, to: c, condition: right }
                - { from: [b, c], to: d, join: all }
            """), StringComparison.Ordinal);

    [Fact]
    public void A_join_all_whose_branches_loop_back_together_compiles()
    {
        var compiled = _p.Compile(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: [b, c] }
                - { from: [b, c], to: d }
                - { from: d, to: [b, c], condition: revise, max_loops: 2, fallback: END }
                - { from: d, to: END, condition: accept }
            """);

        Assert.Empty(compiled.Warnings);
    }

    [Theory]
    [InlineData("{ from: END, to: a }", "no edge can leave END")]
    [InlineData("{ from: a, to: START }", "no edge can go to START")]
    [InlineData("{ from: [START, a], to: b }", "START cannot be part of a fan-in")]
    [InlineData("{ from: a, to: b, fallback: c }", "'fallback' is where the edge goes once its max_loops is spent: add 'max_loops:' to this edge.")]
    [InlineData("{ from: a, to: b, max_loops: 1, fallback: START }", "an edge cannot fall back to START")]
    [InlineData("{ from: a, to: b, condition: outputs.zz.ok }", "the condition reads 'outputs.zz.ok', but there is no node 'zz'.")]
    [InlineData("{ from: a, to: b, condition: inputs.bse == 1 }", "the pipeline has no input 'bse'")]
    [InlineData("{ from: a, to: b, condition: 'outputs.a.verdict = 1' }", "unexpected '=': compare with '==' at column 19 of the condition 'outputs.a.verdict = 1'. See the condition grammar in docs/pipelines.md.")]
    public void Bad_edges_are_errors(string edge, string expected)
    {
        var errors = _p.Errors(Agents + $"""
            graph:
              edges:
                - {"{"} from: START, to: a {"}"}
                - {edge}
            """);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal) && e.StartsWith($"{File}:9:", StringComparison.Ordinal));
    }

    [Fact]
    public void No_edge_from_start_is_an_error() =>
        Assert.Contains("no edge leaves START", _p.Errors(Agents + """
            graph:
              edges: [ { from: a, to: b } ]
            """)[0], StringComparison.Ordinal);

    [Fact]
    public void Reading_an_undeclared_state_field_in_a_condition_is_a_warning()
    {
        var compiled = _p.Compile(Agents + """
            state:
              count: {}
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: b, condition: state.cuont > 1 }
            """);

        var warning = Assert.Single(compiled.Warnings, w => w.Message.Contains("cuont", StringComparison.Ordinal));
        Assert.Equal($"{File}:11:25: warning: the condition reads 'state.cuont', but 'cuont' is not declared under 'state:' (did you mean 'count'?); it is null until a node writes it.", warning.ToString());
    }

    [Fact]
    public void Parallel_writers_to_one_repository_without_worktrees_are_warned_about()
    {
        const string Graph = """
            agents:
              api: { kind: cli, command: [make, api], task: { text: x } }
              web: { kind: cli, command: [make, web], task: { text: x } }
              docs: { kind: openai, permission: write, task: { text: x } }
              check: { kind: scripted, task: { text: x } }
            graph:
              edges:
                - { from: START, to: [api, web] }
                - { from: [api, web], to: docs }
                - { from: docs, to: check }
            """;
        var shared = _p.Compile(Graph);
        var warning = Assert.Single(shared.Warnings);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal($"{File}:8:32: warning: nodes 'api' and 'web' may run at the same time and both change the workspace: declare the repository under workspace.repos with 'isolation: worktree', or order them with an edge.", warning.ToString());

        var isolated = _p.Compile("workspace: { repos: { app: { path: ., isolation: worktree } } }\n" + Graph);
        Assert.Empty(isolated.Warnings);

        var readOnly = _p.Compile(Graph.Replace("web: { kind: cli,", "web: { kind: cli, access: read,", StringComparison.Ordinal));
        Assert.Empty(readOnly.Warnings);
    }

    [Fact]
    public void Writers_on_exclusive_routes_do_not_run_together()
    {
        var compiled = _p.Compile("""
            agents:
              router: { kind: scripted, task: { text: x } }
              api: { kind: cli, command: [make, api], task: { text: x } }
              web: { kind: cli, command: [make, web], task: { text: x } }
            graph:
              edges:
                - { from: START, to: router }
                - { from: router, to: api, condition: route == "api" }
                - { from: router, to: web, condition: route == "web" }
            """);

        Assert.Empty(compiled.Warnings);
    }

    [Fact]
    public void Mermaid_shows_nodes_joins_conditions_and_fallbacks()
    {
        var compiled = _p.Compile(Agents + """
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: [b, c] }
                - { from: [b, c], to: d }
                - { from: d, to: [b, c], condition: outputs.d.verdict == "revise", max_loops: 2, fallback: END }
                - { from: d, to: END, condition: outputs.d.verdict != "revise", approve: true }
            """);

        Assert.Equal("""
            flowchart TD
              START([START])
              n0["a<br/><small>a · scripted</small>"]
              n1["b<br/><small>b · scripted</small>"]
              n2["c<br/><small>c · scripted</small>"]
              n3["d<br/><small>d · scripted</small>"]
              END([END])
              START --> n0
              n0 --> n1 & n2
              n1 & n2 -->|"all"| n3
              n3 -->|"outputs.d.verdict == #quot;revise#quot; · max 2"| n1 & n2
              n3 -.->|"after 2 loops"| END
              n3 -->|"outputs.d.verdict != #quot;revise#quot; · approve"| END

            """.ReplaceLineEndings("\n"), compiled.ToMermaid().ReplaceLineEndings("\n"));
    }
}
