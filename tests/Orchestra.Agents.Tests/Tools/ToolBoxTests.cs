using Microsoft.Extensions.AI;
using Orchestra.Agents.Tools;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Tools;

public sealed class ToolBoxTests : ToolTestBase
{
    [Fact]
    public async Task ByDefaultAnAgentGetsTheReadOnlyBuiltIns()
    {
        var box = await BoxAsync(Options());

        Assert.Equal(["read_file", "list_files", "search_code", "git_diff"], box.Functions.Select(f => f.Name));
        Assert.All(box.Functions, f => Assert.Equal("object", f.JsonSchema.GetProperty("type").GetString()));
        Assert.All(box.Functions, f => Assert.False(string.IsNullOrWhiteSpace(f.Description)));
    }

    [Fact]
    public async Task RunPermissionIncludesWrite()
    {
        var box = await BoxAsync(Options(ToolPermission.Run, [.. BuiltInToolNames.All], ["git"]));

        Assert.Equal(BuiltInToolNames.All, box.Functions.Select(f => f.Name));
    }

    [Fact]
    public async Task AnUnknownToolNameIsAOneLineErrorListingTheKnownTools()
    {
        var options = Options(tools: ["read_file", "raed_file"]) with
        {
            ShellTools = [new ShellToolDefinition { Name = "run_tests", Command = ["true"] }],
        };

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(options));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Equal("unknown tool 'raed_file'; known tools: read_file, list_files, search_code, git_diff, write_file, run_command, run_tests", ex.Message);
    }

    [Fact]
    public async Task SeveralReposQualifyToolNamesAndMapThemToWireSafeNames()
    {
        var api = NewDirectory("api");
        var web = NewDirectory("web");
        File.WriteAllText(Path.Combine(api, "x.txt"), "from api");
        File.WriteAllText(Path.Combine(web, "x.txt"), "from web");
        var box = await BoxAsync(new ToolOptions
        {
            Repos = new Dictionary<string, string> { ["api"] = api, ["web"] = web },
            Tools = ["read_file", "web:list_files"],
        });

        Assert.Equal(["api__read_file", "web__read_file", "web__list_files"], box.Functions.Select(f => f.Name));
        Assert.Equal(["api:read_file", "web:read_file", "web:list_files"], box.Tools.Select(f => f.DisplayName));
        Assert.Equal("web:read_file", box.GetDisplayName("web__read_file"));
        Assert.Same(box.Find("web__read_file"), box.Find("web:read_file"));
        Assert.Null(box.Find("read_file"));

        var result = await CallAsync(box, "api__read_file", """{"path": "x.txt", "line_numbers": false}""");
        Assert.Equal("api:read_file", result.ToolName);
        Assert.Equal("from api\n", result.Text);
        Assert.Equal("from web\n", await OkAsync(box, "web__read_file", """{"path": "x.txt", "line_numbers": false}"""));
    }

    [Fact]
    public async Task AQualifiedNameForAnUnknownRepoIsRefused()
    {
        var options = new ToolOptions
        {
            Repos = new Dictionary<string, string> { ["api"] = NewDirectory("api"), ["web"] = NewDirectory("web") },
            Tools = ["db:read_file"],
        };

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(options));

        Assert.StartsWith("unknown tool 'db:read_file'; known tools: read_file,", ex.Message, StringComparison.Ordinal);
        Assert.Contains("repositories: api, web (name one repository's tool as api:read_file)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRepositoriesAreRefused()
    {
        var missing = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(ToolOptions.ForDirectory(Path.Combine(Root, "missing"))));
        var badName = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(new ToolOptions { Repos = new Dictionary<string, string> { ["a:b"] = Root } }));
        var none = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(new ToolOptions { Repos = new Dictionary<string, string>() }));

        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("repository name 'a:b' is invalid", badName.Message, StringComparison.Ordinal);
        Assert.Contains("no repository", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AModelCallingAToolThatDoesNotExistGetsAnErrorResult()
    {
        var box = await BoxAsync(Options(tools: ["read_file"]));

        var result = await box.InvokeAsync(new FunctionCallContent("call-9", "delete_everything", new Dictionary<string, object?>()));

        Assert.True(result.IsError);
        Assert.Equal("call-9", result.Content.CallId);
        Assert.Equal("error: unknown tool 'delete_everything'; available tools: read_file", result.Text);
    }

    [Fact]
    public async Task ArgumentsThatCouldNotBeParsedAreAnErrorResult()
    {
        var box = await BoxAsync(Options(tools: ["read_file"]));
        var call = new FunctionCallContent("c", "read_file") { Exception = new System.Text.Json.JsonException("'}' is invalid") };

        var result = await box.InvokeAsync(call);

        Assert.True(result.IsError);
        Assert.StartsWith("error: the arguments could not be read", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResultsCarryTheCallIdAndTheText()
    {
        Write("a.txt", "hi");
        var box = await BoxAsync(Options());

        var result = await box.InvokeAsync(new FunctionCallContent("call-42", "read_file", Arguments("""{"path": "a.txt"}""")));

        Assert.False(result.IsError);
        Assert.Equal("call-42", result.Content.CallId);
        Assert.Equal("     1\thi\n", result.Content.Result);
        Assert.Equal("read_file", result.ToolName);
    }

    [Fact]
    public async Task ToolFunctionsThrowToolExceptionsWhenCalledDirectly()
    {
        var box = await BoxAsync(Options());

        var ex = await Assert.ThrowsAsync<ToolException>(async () =>
            await box.Find("read_file")!.InvokeAsync(new AIFunctionArguments(Arguments("""{"path": "missing.txt"}"""))));

        Assert.StartsWith("file 'missing.txt' not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateDefinitionsAreRefused()
    {
        var shell = new ShellToolDefinition { Name = "t", Command = ["true"] };

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(Options() with { ShellTools = [shell, shell] }));

        Assert.Equal("shell tool 't' is defined twice; rename or remove one", ex.Message);
    }
}
