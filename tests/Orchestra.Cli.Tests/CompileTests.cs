namespace Orchestra.Cli.Tests;

public sealed class CompileTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public CompileTests()
    {
        // Prompt files are looked up in ~/.orchestra/prompts/ too: give the command an empty home.
        _cli.Environment["HOME"] = Path.Combine(_cli.Root, "home");
    }

    public void Dispose() => _cli.Dispose();

    private static string Example(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "examples", name, "pipeline.yaml");
            if (File.Exists(path))
                return path;
        }
        throw new InvalidOperationException($"examples/{name} not found");
    }

    [Fact]
    public void Compile_prints_the_nodes_and_edges_of_the_pr_review_example()
    {
        var r = _cli.Run("compile", Example("pr-review"));

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal("", r.Err);
        Assert.StartsWith("pipeline pr-review: 5 nodes, 6 edges", r.Out, StringComparison.Ordinal);
        Assert.Contains("security + architecture → critic  (join all)", r.Out, StringComparison.Ordinal);
        Assert.Contains("critic → security, architecture  if outputs.critic.verdict == \"revise\"  (max_loops 2, then synthesizer)", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_prints_mermaid_and_prompts_with_their_sources()
    {
        var mermaid = _cli.Run("compile", Example("code-review"), "--mermaid");
        Assert.Equal(0, mermaid.ExitCode);
        Assert.StartsWith("flowchart TD\n", mermaid.Out, StringComparison.Ordinal);
        Assert.Contains("n0 & n1 & n2 -->|\"all\"| n3", mermaid.Out, StringComparison.Ordinal);

        var prompts = _cli.Run("compile", Example("code-review"), "--show-prompts");
        Assert.Equal(0, prompts.ExitCode);
        Assert.Contains("prompt of code", prompts.Out, StringComparison.Ordinal);
        Assert.Contains($"  role         pipeline  {Path.Combine(Path.GetDirectoryName(Example("code-review"))!, "roles", "code.md")}", prompts.Out, StringComparison.Ordinal);
        Assert.Contains("  role         inline    ", prompts.Out, StringComparison.Ordinal);
        Assert.Contains("Review the code in {{ scope }}.", prompts.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_json_describes_nodes_edges_and_warnings()
    {
        var json = _cli.Run("compile", Example("pr-review"), "--json").Json();

        Assert.Equal("pr-review", json["name"]!.GetValue<string>());
        Assert.Equal(5, json["nodes"]!.AsArray().Count);
        Assert.Equal("pipeline:pr-review:git-diff", json["nodes"]![0]!["runtime_agent"]!.GetValue<string>());
        Assert.Equal("synthesizer", json["edges"]![3]!["fallback"]!.GetValue<string>());
        Assert.Empty(json["warnings"]!.AsArray());
    }

    [Fact]
    public void An_invalid_pipeline_exits_2_with_one_line_per_error()
    {
        _cli.WriteFile("bad.yaml", """
            agents:
              a: { kind: scripted, task: { text: "x" } }
            graph:
              edges:
                - { from: START, to: a }
                - { from: a, to: b }
                - { from: a, to: a, condition: "state.x = 1" }
            """);

        var r = _cli.Run("compile", "bad.yaml");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.Equal(
        [
            "bad.yaml:6:18: unknown node 'b': did you mean 'a'? Declare it under 'nodes:' or define an agent called 'b'. Known nodes and agents: a.",
            "bad.yaml:7:25: unexpected '=': compare with '==' at column 9 of the condition 'state.x = 1'. See the condition grammar in docs/pipelines.md.",
        ], r.Err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Warnings_go_to_stderr_and_the_pipeline_still_compiles()
    {
        _cli.WriteFile("warn.yaml", """
            agents:
              a: { kind: scripted, task: { text: "{{ nothing }}" } }
            graph:
              edges: [ { from: START, to: a } ]
            """);

        var r = _cli.Run("compile", "warn.yaml");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("warn.yaml:2:24: warning: '{{ nothing }}' in the task of node 'a' is not an input, a state field, or under inputs., state. or outputs.; it renders empty.", r.Err.TrimEnd());
    }

    [Fact]
    public void Nodes_may_use_agents_of_the_project()
    {
        Assert.Equal(0, _cli.Run("init").ExitCode);
        _cli.WriteFile(".orchestra/agents/helper.yaml", "kind: scripted\n");
        _cli.WriteFile("pipes/p.yaml", """
            agents:
              checker: { use: helper, task: { text: "check" } }
            graph:
              edges:
                - { from: START, to: helper }
                - { from: helper, to: checker }
            """);

        var r = _cli.Run("compile", "pipes/p.yaml");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("checker → helper (scripted)", r.Out, StringComparison.Ordinal);

        _cli.WriteFile("pipes/q.yaml", "graph: { edges: [ { from: START, to: helpr } ] }");
        var q = _cli.Run("compile", "pipes/q.yaml");
        Assert.Equal(2, q.ExitCode);
        Assert.Contains("unknown node 'helpr': did you mean 'helper'?", q.Err, StringComparison.Ordinal);
    }
}
