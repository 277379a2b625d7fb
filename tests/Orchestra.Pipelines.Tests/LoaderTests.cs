using Orchestra.Core.Graphs;
using Orchestra.Core.State;
using Orchestra.Pipelines.Model;

namespace Orchestra.Pipelines.Tests;

public sealed class LoaderTests
{
    private static PipelineDocument Parse(string yaml, string path = "p.yaml") => PipelineLoader.Parse(path, yaml);

    private static List<string> Errors(string yaml, string path = "p.yaml") =>
        Assert.Throws<PipelineException>(() => Parse(yaml, path)).Errors.Select(e => e.ToString()).ToList();

    private const string Minimal = """
        agents:
          a: { kind: scripted }
        graph:
          edges:
            - { from: START, to: a }
        """;

    [Fact]
    public void Reads_every_section()
    {
        var doc = Parse("""
            name: full
            description: Everything at once.
            providers:
              lab: { kind: openai, base_url: "http://127.0.0.1:9000/v1", models: { smart: big-model } }
            workspace:
              repos:
                app: { path: services/app, isolation: worktree }
                docs: docs
              tools:
                run_tests: { command: ["dotnet", "test"], timeout: 5m }
            agents:
              coder:
                kind: openai
                provider: lab
                model: smart
                tools: [read_file, write_file]
                permission: write
                mode: interactive
                repo: app
                role: roles/coder
                persona: { file: personas/pragmatic }
                personality: { text: "Be brief." }
                task: tasks/code
              reviewer:
                use: reviewer
                access: read
            inputs:
              base: { type: string, default: main }
              depth: { type: integer, required: true, description: How far back. }
              verbose:
            state:
              notes: { type: list, reducer: append, default: [] }
              summary: { reducer: merge }
              count: { type: number }
            graph:
              edges:
                - { from: START, to: code }
                - { from: code, to: [review, check] }
                - { from: [review, check], to: gate, join: any }
                - { from: gate, to: code, condition: revise, max_loops: 3, fallback: END, approve: true }
            nodes:
              code: { agent: coder, retry: { max_attempts: 3 }, timeout: 90s, approve: true }
              review: { agent: reviewer, prompt: "Review {{ outputs.code }}" }
              check: { agent: reviewer, task: tasks/check }
              gate: { agent: reviewer }
            defaults:
              model: cheap
              max_failures: 5
              retry: { max_attempts: 2 }
              timeout: 20m
            """);

        Assert.Equal("full", doc.Name);
        Assert.Equal("http://127.0.0.1:9000/v1", doc.Providers["lab"].BaseUrl);
        Assert.Equal([("app", "services/app", RepoIsolation.Worktree), ("docs", "docs", RepoIsolation.Shared)], doc.Repos.Select(r => (r.Name, r.Path, r.Isolation)));
        Assert.True(doc.Tools.ContainsKey("run_tests"));
        var coder = doc.Agents[0];
        Assert.Equal(("openai", "smart", AgentMode.Interactive, "app"), (coder.Kind, coder.Model, coder.Mode, coder.Repo));
        Assert.Equal(["read_file", "write_file"], coder.Tools);
        Assert.Equal([PromptLayer.Role, PromptLayer.Persona, PromptLayer.Personality, PromptLayer.Task], coder.Layers.Select(l => l.Layer));
        Assert.Equal("personas/pragmatic", coder.Layers[1].File);
        Assert.Equal("Be brief.", coder.Layers[2].Text);
        Assert.False(coder.Spec.ContainsKey("mode"));
        Assert.Equal("lab", coder.Spec["provider"]!.GetValue<string>());
        Assert.Equal(("reviewer", RepoAccess.Read), (doc.Agents[1].Use, doc.Agents[1].Access));
        Assert.Equal([("base", false), ("depth", true), ("verbose", true)], doc.Inputs.Select(i => (i.Name, i.Required)));
        Assert.Equal(PipelineValueType.Integer, doc.Inputs[1].Type);
        Assert.Equal([Reducer.Append, Reducer.Merge, Reducer.Replace], doc.State.Select(s => s.Reducer));
        Assert.Equal(["review", "check"], doc.Edges[2].From);
        Assert.Equal(JoinMode.Any, doc.Edges[2].Join);
        var loop = doc.Edges[3];
        Assert.Equal(("revise", 3, "END", true), (loop.Condition, loop.MaxLoops, loop.Fallback, loop.Approve));
        var code = doc.Nodes[0];
        Assert.Equal((3, TimeSpan.FromSeconds(90), true), (code.MaxAttempts, code.Timeout, code.Approve));
        Assert.Equal("Review {{ outputs.code }}", doc.Nodes[1].Task!.Text);
        Assert.Equal("tasks/check", doc.Nodes[2].Task!.File);
        Assert.Equal(("cheap", 5, 2, TimeSpan.FromMinutes(20)), (doc.Defaults.Model, doc.Defaults.MaxFailures, doc.Defaults.MaxAttempts, doc.Defaults.Timeout));
    }

    [Fact]
    public void The_name_defaults_to_the_file_or_for_pipeline_yaml_to_its_folder()
    {
        Assert.Equal("nightly-build", Parse(Minimal, "/tmp/x/nightly-build.yaml").Name);
        Assert.Equal("pr-review", Parse(Minimal, "/tmp/pr-review/pipeline.yaml").Name);
    }

    [Fact]
    public void An_unknown_key_is_reported_at_its_position_with_the_nearest_known_key()
    {
        var error = Assert.Single(Errors(Minimal + "\n        nodez: {}\n".Replace("        ", "", StringComparison.Ordinal)));

        Assert.Equal("p.yaml:6:1: unknown key 'nodez' in a pipeline: did you mean 'nodes'? Known keys: name, description, providers, workspace, agents, inputs, state, graph, nodes, defaults.", error);
    }

    [Fact]
    public void Every_problem_is_reported_not_only_the_first()
    {
        var errors = Errors("""
            agents:
              a: { kind: scripted, mood: happy }
            graph:
              edges:
                - { from: START, to: a, max_loops: -1, joins: all }
            nodes:
              a: { timeout: soon, retry: { max_attempts: 0 } }
            """);

        Assert.Equal(
        [
            "p.yaml:2:24: unknown key 'mood' in agent 'a' (kind scripted): did you mean 'mode'? Known keys: responses, max_concurrency, description, kind, mode, role, persona, personality, task, repo, access.",
            "p.yaml:5:44: unknown key 'joins' in an edge: did you mean 'join'? Known keys: from, to, join, condition, max_loops, fallback, approve, description.",
            "p.yaml:5:29: 'max_loops' must be a whole number of at least 0, not the number -1.",
            "p.yaml:7:32: 'max_attempts' must be a whole number of at least 1, not the number 0.",
            "p.yaml:7:8: 'soon' is not a positive duration for 'timeout': use forms like 500ms, 30s, 20m, 1h30m or 7d.",
        ], errors);
    }

    [Theory]
    [InlineData("graph: []", "p.yaml:1:1: 'graph' must be a mapping of edges, not a list.")]
    [InlineData("graph: { edges: [] }", "p.yaml:1:10: 'graph.edges' must be a non-empty list of edges such as { from: START, to: review }.")]
    [InlineData("graph: { edges: [ { to: a } ] }", "p.yaml:1:19: this edge has no 'from:': name the node (or START) it leaves.")]
    [InlineData("graph: { edges: [ { from: START, to: [] } ] }", "p.yaml:1:34: 'to' must be a node name (or END) or a non-empty list of them, not a list.")]
    [InlineData("graph: { edges: [ { from: START, to: [a, a] } ] }", "p.yaml:1:34: 'a' is listed twice in 'to'.")]
    [InlineData("graph: { edges: [ { from: START, to: a, join: some } ] }", "p.yaml:1:41: 'some' is not a valid 'join': use all or any.")]
    [InlineData("graph: { edges: [ { from: START, to: a, condition: [x] } ] }", "p.yaml:1:41: 'condition' must be an expression such as outputs.critic.verdict == \"revise\" or a route name, not a list.")]
    [InlineData("graph: { edges: [ { from: START, to: a, approve: yes } ] }", "p.yaml:1:41: 'approve' must be true or false, not the text 'yes'.")]
    public void Graph_shapes_are_checked(string graph, string expected) =>
        Assert.Equal(expected, Assert.Single(Errors(graph)));

    [Fact]
    public void A_pipeline_without_a_graph_says_how_to_write_one() =>
        Assert.Equal("p.yaml:1:1: missing 'graph:': add 'graph: { edges: [ { from: START, to: first-node }, ... ] }'.", Assert.Single(Errors("name: x")));

    [Theory]
    [InlineData("agents: { a: { model: smart } }", "needs 'kind:' (openai, anthropic, cli, scripted, ...) to define it here, or 'use: a' for .orchestra/agents/a.yaml.")]
    [InlineData("agents: { a: { kind: robot } }", "unknown agent kind 'robot'. Known kinds: anthropic, claude-code, cli, codex, openai, scripted.")]
    [InlineData("agents: { a: { kind: scripted, use: b } }", "has both 'kind:' and 'use:'")]
    [InlineData("agents: { a: { use: b, model: smart } }", "unknown key 'model' in agent 'a' (use: b)")]
    [InlineData("agents: { a: { kind: cli } }", "agent 'a' (kind cli) needs 'command:'")]
    [InlineData("agents: { a: { kind: openai, temperature: hot } }", "the value has the wrong type: expected a number.")]
    [InlineData("agents: { a: { kind: openai, output_schema: { type: thing } } }", "'thing' is not a JSON type")]
    [InlineData("agents: { a: { kind: scripted, mode: sleepy } }", "'sleepy' is not a valid 'mode': use autonomous or interactive.")]
    [InlineData("agents: { a: { kind: scripted, role: 3 } }", "the role layer must be a prompt file name such as roles/reviewer, or { text: ... }, not the number 3.")]
    [InlineData("agents: { a: { kind: scripted, role: { file: x, text: y } } }", "the role layer needs exactly one of 'file:' (a prompt file) or 'text:' (the text itself).")]
    [InlineData("agents: { a: { kind: scripted, role: ../secrets } }", "'../secrets' is not a prompt file name")]
    [InlineData("agents: { a: { kind: scripted, role: /etc/passwd } }", "'/etc/passwd' is not a prompt file name")]
    [InlineData("agents: { START: { kind: scripted } }", "'START' is reserved for the graph's entry")]
    [InlineData("agents: { 'a b': { kind: scripted } }", "'a b' is not a valid agent name")]
    [InlineData("agents: [a]", "'agents' must be a mapping of agent names to their settings, not a list.")]
    public void Agents_are_checked(string agents, string expected)
    {
        var errors = Errors(agents + "\ngraph: { edges: [ { from: START, to: a } ] }");

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("inputs: { n: { type: integer, default: x } }", "p.yaml:1:31: the default of input 'n' is the text 'x', which is not an integer.")]
    [InlineData("inputs: { n: { required: true, default: 1 } }", "p.yaml:1:16: input 'n' is required and has a default: drop one of them.")]
    [InlineData("inputs: { n: { type: text } }", "p.yaml:1:16: 'text' is not a valid 'type': use string or number or integer or boolean or list or object or any.")]
    [InlineData("inputs: { outputs: {} }", "p.yaml:1:11: 'outputs' is a reserved word in templates and conditions: give the input another name.")]
    [InlineData("state: { notes: { type: string, reducer: append } }", "p.yaml:1:33: the append reducer builds a list, but state field 'notes' has type string: use type list or another reducer.")]
    [InlineData("state: { notes: { reducer: sum } }", "p.yaml:1:19: 'sum' is not a valid 'reducer': use replace or append or merge.")]
    [InlineData("state: { inputs: {} }", "p.yaml:1:10: 'inputs' is where a run keeps its inputs in the state document: give the field another name.")]
    [InlineData("workspace: { repos: { app: /abs } }", "p.yaml:1:23: repository 'app' is at '/abs': give a folder inside the workspace, relative to its root.")]
    [InlineData("workspace: { repos: { app: { isolation: worktree } } }", "p.yaml:1:23: missing 'path:': the repository's folder relative to the workspace root, such as '.' or services/api")]
    [InlineData("workspace: { tools: { t: { description: x } } }", "p.yaml:1:23: ")]
    [InlineData("providers: { lab: { kind: grpc } }", "p.yaml:1:21: unknown provider kind 'grpc': use openai (any OpenAI-compatible endpoint) or anthropic.")]
    [InlineData("providers: { lab: { base_url: ftp://x } }", "p.yaml:1:21: 'ftp://x' is not an http(s) URL, for example http://127.0.0.1:8080/v1.")]
    [InlineData("providers: { lab: { colour: red } }", "p.yaml:1:21: unknown key 'colour'")]
    [InlineData("defaults: { max_failures: 0 }", "p.yaml:1:13: 'max_failures' must be a whole number of at least 1, not the number 0.")]
    [InlineData("nodes: { a: { task: x, prompt: y } }", "p.yaml:1:24: node 'a' has both 'task:' and 'prompt:': keep one (prompt is the task written inline).")]
    public void Sections_are_checked(string section, string expected)
    {
        var errors = Errors(section + "\nagents: { a: { kind: scripted } }\ngraph: { edges: [ { from: START, to: a } ] }");

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_yaml_names_its_position()
    {
        var ex = Assert.Throws<Orchestra.Core.OrchestraException>(() => Parse("graph: { edges: [ }"));

        Assert.StartsWith("p.yaml:1:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", ex.Message, StringComparison.Ordinal);
    }
}
