using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Pipelines.Prompts;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Pipelines.Tests;

public class ExampleTests
{
    public static TheoryData<string> Examples => new() { "examples/pr-review/pipeline.yaml", "examples/code-review/pipeline.yaml", "examples/release-notes/pipeline.yaml" };

    private static readonly string SchemaPath = RepoFiles.Path("schemas/pipeline.schema.json");

    /// <summary>Prompt files come from the example's folder only, whatever the machine has in ~/.orchestra/prompts/.</summary>
    private static PipelineCompileOptions Isolated(string file) =>
        new() { Prompts = new PromptSearchPath(Path.GetDirectoryName(file)!, null, null) };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Examples_compile_without_errors_or_warnings(string example)
    {
        var file = RepoFiles.Path(example);

        var compiled = PipelineCompiler.Compile(file, Isolated(file));

        Assert.Empty(compiled.Warnings);
        Assert.NotEmpty(compiled.Graph.Nodes);
        Assert.All(compiled.Nodes, n => Assert.NotEmpty(n.Prompt.Text));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Examples_match_the_published_json_schema(string example)
    {
        var schema = OutputSchema.Parse(JsonNode.Parse(File.ReadAllText(SchemaPath)));

        var document = YamlSource.Load(RepoFiles.Path(example)).Root;

        Assert.Empty(schema.Validate(document));
    }

    [Fact]
    public void The_schema_refuses_what_the_loader_refuses()
    {
        var schema = OutputSchema.Parse(JsonNode.Parse(File.ReadAllText(SchemaPath)));
        var bad = YamlSource.Parse("bad.yaml", """
            nodez: {}
            graph:
              edges:
                - { from: START, to: a, join: some, max_loops: -1 }
            """).Root;

        var errors = schema.Validate(bad);

        Assert.Contains(errors, e => e.Contains("'nodez' is not allowed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("$.graph.edges[0].join", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("$.graph.edges[0].max_loops", StringComparison.Ordinal));
    }

    [Fact]
    public void The_schema_lists_the_keys_the_loader_accepts()
    {
        var schema = JsonNode.Parse(File.ReadAllText(SchemaPath))!.AsObject();
        var defs = schema["$defs"]!.AsObject();
        string[] Keys(JsonNode? o) => o!["properties"]!.AsObject().Select(p => p.Key).ToArray();

        Assert.Equal(PipelineKeys.Root.Order(), Keys(schema).Order());
        Assert.Equal(PipelineKeys.Workspace.Order(), Keys(schema["properties"]!["workspace"]).Order());
        Assert.Equal(PipelineKeys.Defaults.Order(), Keys(schema["properties"]!["defaults"]).Order());
        Assert.Equal(PipelineKeys.Graph.Order(), Keys(schema["properties"]!["graph"]).Order());
        Assert.Equal(PipelineKeys.Edge.Order(), Keys(defs["edge"]).Order());
        Assert.Equal(PipelineKeys.Node.Order(), Keys(defs["node"]).Order());
        Assert.Equal(PipelineKeys.Input.Order(), Keys(defs["input"]).Order());
        Assert.Equal(PipelineKeys.State.Order(), Keys(defs["stateField"]).Order());
        Assert.Equal(PipelineKeys.Retry.Order(), Keys(defs["retry"]).Order());
        Assert.Equal(PipelineKeys.Repo.Order(), Keys(defs["repo"]!["anyOf"]![1]).Order());
        Assert.Equal(PipelineKeys.LayerMapping.Order(), Keys(defs["layer"]!["anyOf"]![1]).Order());
        Assert.Subset(Keys(defs["agent"]).ToHashSet(), PipelineKeys.AgentReference.ToHashSet());
    }
}
