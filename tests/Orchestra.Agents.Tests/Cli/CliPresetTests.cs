using Orchestra.Agents.Cli;
using Orchestra.Workspace;

namespace Orchestra.Agents.Tests.Cli;

/// <summary>The ready-to-copy definitions in <c>examples/agents/</c> and <c>docs/cli-presets.md</c>.</summary>
public sealed class CliPresetTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orchestra-presets-" + Guid.NewGuid().ToString("N"));

    public CliPresetTests() => Directory.CreateDirectory(Path.Combine(_root, ".orchestra", "agents"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Example(string name) =>
        Path.Combine(RepositoryRoot.Value ?? throw new InvalidOperationException("Orchestra.slnx was not found above the test binaries"), "examples", "agents", name + ".yaml");

    [Theory]
    [InlineData("gemini", "gemini", "--prompt={prompt}")]
    [InlineData("opencode", "opencode", "{prompt}")]
    [InlineData("aider", "aider", "--message={prompt}")]
    public void EachPreset_IsAValidCliAgent_ThatPassesThePromptAsOneArgument(string name, string program, string promptArgument)
    {
        File.Copy(Example(name), Path.Combine(_root, ".orchestra", "agents", name + ".yaml"));

        var agent = Assert.IsType<CliAgent>(OrchestraWorkspace.At(_root).Agents.Get(name));

        Assert.Equal(program, agent.Options.Command[0]);
        Assert.Equal(promptArgument, Assert.Single(agent.Options.Command, a => a.Contains("{prompt}", StringComparison.Ordinal)));
        Assert.Equal(CliCompletion.Exit, agent.Options.Completion);
        Assert.All(agent.Options.Env.Keys, k => Assert.DoesNotContain("KEY", k, StringComparison.Ordinal));
    }

    [Fact]
    public void OpenCode_TakesTheMessageLast()
    {
        File.Copy(Example("opencode"), Path.Combine(_root, ".orchestra", "agents", "opencode.yaml"));

        var agent = Assert.IsType<CliAgent>(OrchestraWorkspace.At(_root).Agents.Get("opencode"));

        Assert.Equal("{prompt}", agent.Options.Command[^1]);
    }

    [Theory]
    [InlineData("gemini")]
    [InlineData("opencode")]
    [InlineData("aider")]
    public void TheDocumentation_ShowsEachPresetExactlyAsShipped(string name)
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot.Value!, "docs", "cli-presets.md"));

        Assert.Contains("```yaml\n" + File.ReadAllText(Example(name)) + "```", docs, StringComparison.Ordinal);
    }
}
