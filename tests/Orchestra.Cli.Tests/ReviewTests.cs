using System.Text.Json.Nodes;
using Orchestra.FakeProvider;

namespace Orchestra.Cli.Tests;

public sealed class ReviewTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public ReviewTests()
    {
        Ok("init");
        File.WriteAllText(Path.Combine(_cli.Root, "api.cs"), "class Api { }\n");
        File.WriteAllText(Path.Combine(_cli.Root, "rules.md"), "- every public method validates its input\n");
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    /// <summary>A scripted reviewer that answers every prompt with <paramref name="answer"/>.</summary>
    private void Reviewer(string name, string answer) =>
        File.WriteAllText(Path.Combine(_cli.StateDir, "agents", name + ".yaml"), $"kind: scripted\nresponses:\n  - output: '{answer.Replace("'", "''", StringComparison.Ordinal)}'\n");

    private const string Alice = """{"summary":"Input is not validated.","findings":[{"file":"api.cs","line":10,"severity":"major","category":"validation","message":"Create accepts a null name without checking it.","suggested_fix":"Throw ArgumentNullException."},{"file":"api.cs","line":40,"severity":"minor","category":"naming","message":"Method name is unclear."}]}""";
    private const string Bob = """Here is my review: {"summary":"One problem.","findings":[{"file":"./api.cs","line":12,"severity":"critical","category":"validation","message":"A null name reaches the database unchecked."}]}""";

    [Fact]
    public void Findings_of_several_reviewers_are_grouped_and_agreement_is_marked()
    {
        Reviewer("alice", Alice);
        Reviewer("bob", Bob);

        var r = Ok("review", "api.cs", "--template", "code", "--rules", "rules.md", "--agents", "alice,bob");

        Assert.Contains("| critical | `api.cs:10` | validation | alice, bob (2/2) |", r.Out, StringComparison.Ordinal);
        Assert.Contains("| minor | `api.cs:40` | naming | only alice |", r.Out, StringComparison.Ordinal);
        var runId = r.Err.Split(' ')[1].TrimEnd(':');
        Assert.True(File.Exists(Path.Combine(_cli.StateDir, "reviews", runId + ".md")));

        var json = Ok("findings", "--json").Json();
        Assert.Equal(runId, json["run_id"]!.GetValue<string>());
        var groups = json["findings"]!.AsArray();
        Assert.Equal(2, groups.Count);
        Assert.Equal("2/2", groups[0]!["agreement"]!.GetValue<string>());
        Assert.Equal("1/2", groups[1]!["agreement"]!.GetValue<string>());
        Assert.Equal("Throw ArgumentNullException.", groups[0]!["messages"]!.AsArray().Single(m => m!["agent"]!.GetValue<string>() == "alice")!["suggested_fix"]!.GetValue<string>());
    }

    [Fact]
    public void Reviewers_get_the_template_scope_rules_and_a_read_only_step()
    {
        Reviewer("alice", Alice);

        var json = Ok("review", "api.cs", "--rules", "rules.md", "--agents", "alice", "--json").Json();

        var stepId = json["reviewers"]![0]!["step_id"]!.GetValue<string>();
        var step = Ok("status", stepId, "--json").Json();
        var prompt = step["prompt"]!.GetValue<string>();
        Assert.Contains("Scope: api.cs", prompt, StringComparison.Ordinal);
        Assert.Contains("every public method validates its input", prompt, StringComparison.Ordinal);
        Assert.Contains("read-only review", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_that_is_not_in_the_review_format_is_reported_not_dropped()
    {
        Reviewer("alice", Alice);
        Reviewer("vague", "Looks fine to me.");

        var r = _cli.Run("review", "--agents", "alice,vague");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("**vague** (0 findings): _the output is not JSON", r.Out, StringComparison.Ordinal);
        Assert.Contains("only alice", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--template", "style", "unknown review template 'style': use one of code, arch, tasks")]
    [InlineData("--rules", "missing.md", "the rules file 'missing.md' does not exist")]
    [InlineData("--agents", "nobody", "nobody")]
    public void Bad_review_input_is_a_one_line_error(string option, string value, string expected)
    {
        Reviewer("reviewer", Alice);

        var r = _cli.Run("review", option, value);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void A_path_outside_the_workspace_is_refused()
    {
        Reviewer("reviewer", Alice);

        var r = _cli.Run("review", "/etc/passwd");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("outside the workspace", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_reviewer_gets_only_read_tools_during_a_review()
    {
        await using var server = await FakeProviderServer.StartAsync();
        server.Enqueue(FakeReply.FromText(Alice));
        File.WriteAllText(Path.Combine(_cli.StateDir, "agents", "writer.yaml"),
            $"kind: openai\nbase_url: {server.OpenAiBaseUrl}\nmodel: m\npermission: write\ntools: [read_file, write_file]\n");

        var r = Ok("review", "api.cs", "--agents", "writer");

        Assert.Equal(["read_file"], Assert.Single(server.Requests).ToolNames);
        Assert.Contains("validation", r.Out, StringComparison.Ordinal);
    }
}
