using Orchestra.Core.Graphs;

namespace Orchestra.Pipelines.Tests;

/// <summary>approve on nodes and edges, on_reject and mode: interactive reach the engine's graph.</summary>
public sealed class HumanCompilerTests : IDisposable
{
    private readonly TempPipeline _p = new();

    public void Dispose() => _p.Dispose();

    [Fact]
    public void Approve_on_nodes_and_edges_and_interactive_agents_map_onto_the_graph()
    {
        var compiled = _p.Compile("""
            agents:
              planner: { kind: scripted, mode: interactive, task: { text: "plan" } }
              writer: { kind: scripted, task: { text: "write" } }
              deploy: { kind: scripted, task: { text: "deploy" } }
            nodes:
              writer: { approve: true, on_reject: revise }
            graph:
              edges:
                - { from: START, to: planner }
                - { from: planner, to: writer }
                - { from: writer, to: deploy, approve: true }
                - { from: deploy, to: END }
            """);

        var graph = compiled.Graph;
        Assert.True(graph.Nodes["planner"].Interactive);
        Assert.False(graph.Nodes["planner"].Approve);
        Assert.True(graph.Nodes["writer"].Approve);
        Assert.Equal(RejectAction.Revise, graph.Nodes["writer"].OnReject);
        Assert.False(graph.Nodes["writer"].Interactive);
        Assert.False(graph.Nodes["deploy"].Approve);
        Assert.Equal(RejectAction.Fail, graph.Nodes["deploy"].OnReject);
        Assert.Equal([false, false, true, false], graph.Edges.Select(e => e.Approve));
        Assert.Equal([false, false, true, false], compiled.Edges.Select(e => e.Approve));

        var planner = compiled.Nodes.Single(n => n.Name == "planner");
        var writer = compiled.Nodes.Single(n => n.Name == "writer");
        Assert.True(planner.Interactive);
        Assert.True(writer.Approve);
        Assert.Equal(RejectAction.Revise, writer.OnReject);
        Assert.Empty(compiled.Warnings);
    }

    [Fact]
    public void On_reject_without_approve_is_a_warning_at_its_position()
    {
        var compiled = _p.Compile("""
            agents:
              writer: { kind: scripted, task: { text: "write" } }
            nodes:
              writer:
                on_reject: revise
            graph:
              edges:
                - { from: START, to: writer }
            """);

        var warning = Assert.Single(compiled.Warnings);
        Assert.Equal($"{_p.PipelinePath}:5:5: warning: node 'writer' has 'on_reject:' but no 'approve: true', so nothing can reject it: add 'approve: true' or remove 'on_reject:'.", warning.ToString());
        Assert.Equal(RejectAction.Revise, compiled.Graph.Nodes["writer"].OnReject);
    }

    [Fact]
    public void On_reject_accepts_only_fail_or_revise()
    {
        var error = _p.Error("""
            agents:
              writer: { kind: scripted, task: { text: "write" } }
            nodes:
              writer: { approve: true, on_reject: retry }
            graph:
              edges:
                - { from: START, to: writer }
            """);

        Assert.Contains("on_reject", error, StringComparison.Ordinal);
        Assert.Contains("fail", error, StringComparison.Ordinal);
        Assert.Contains("revise", error, StringComparison.Ordinal);
    }
}
