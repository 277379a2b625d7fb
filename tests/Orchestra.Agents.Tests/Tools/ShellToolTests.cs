using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Tools;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Tools;

public sealed class ShellToolTests : ToolTestBase
{
    /// <summary>Prints each argument on its own line between bars, so that argument boundaries show.</summary>
    private static ShellToolDefinition Args(params ShellToolParameter[] parameters) => new()
    {
        Name = "args",
        Description = "Shows its arguments.",
        Command = ["printf", "|%s|\\n", "--fixed", "{first}", "x={second}y", "{optional}"],
        Parameters = parameters.Length > 0 ? parameters :
        [
            new ShellToolParameter { Name = "first", Description = "The first." },
            new ShellToolParameter { Name = "second", Description = "The second.", Type = ToolParameterType.Integer, Required = false, Default = "7" },
            new ShellToolParameter { Name = "optional", Description = "Left out when not given.", Required = false },
        ],
    };

    private ToolOptions With(params ShellToolDefinition[] tools) =>
        Options(tools: [.. tools.Select(t => t.Name)]) with { ShellTools = tools };

    [Fact]
    public async Task EachPlaceholderBecomesPartOfOneArgumentNeverParsedByAShell()
    {
        var box = await BoxAsync(With(Args()));

        var text = await OkAsync(box, "args", """{"first": "a b; $(rm -rf /) | cat", "second": 42, "optional": "*"}""");

        Assert.Equal("exit code 0\n--- stdout ---\n|--fixed|\n|a b; $(rm -rf /) | cat|\n|x=42y|\n|*|\n", text);
    }

    [Fact]
    public async Task AnOmittedOptionalArgumentIsLeftOutAndDefaultsApply()
    {
        var box = await BoxAsync(With(Args()));

        Assert.Equal("exit code 0\n--- stdout ---\n|--fixed|\n|one|\n|x=7y|\n", await OkAsync(box, "args", """{"first": "one"}"""));
    }

    [Fact]
    public async Task AValueThatWouldBecomeAnOptionIsRefusedUnlessAllowed()
    {
        var box = await BoxAsync(With(Args()));

        Assert.Equal("error: argument 'first' of args may not start with '-' (it would be read as an option); pass a plain value",
            await ErrorAsync(box, "args", """{"first": "--output=/etc/passwd"}"""));

        var allowing = Args(new ShellToolParameter { Name = "first", AllowDash = true }, new ShellToolParameter { Name = "second", Required = false }, new ShellToolParameter { Name = "optional", Required = false });
        var other = await BoxAsync(With(allowing));
        Assert.Contains("|-v|", await OkAsync(other, "args", """{"first": "-v"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSchemaComesFromTheParameters()
    {
        var box = await BoxAsync(With(Args()));
        var schema = box.Functions.Single().JsonSchema;

        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["first"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("integer", schema.GetProperty("properties").GetProperty("second").GetProperty("type").GetString());
        Assert.Equal("The second. Default: 7.", schema.GetProperty("properties").GetProperty("second").GetProperty("description").GetString());
        Assert.Equal("Shows its arguments.", box.Functions.Single().Description);
        Assert.Equal("error: args needs the argument 'first' (The first.)", await ErrorAsync(box, "args", "{}"));
    }

    [Fact]
    public async Task RunsInItsWorkingDirectoryWithItsEnvironment()
    {
        Directory.CreateDirectory(Path.Combine(Root, "sub"));
        var tool = new ShellToolDefinition
        {
            Name = "where",
            Command = ["sh", "-c", "pwd; echo \"$GREETING\""],
            WorkingDirectory = "sub",
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello" },
        };
        var box = await BoxAsync(With(tool));

        Assert.Equal($"exit code 0\n--- stdout ---\n{CanonicalRoot}/sub\nhello\n", await OkAsync(box, "where"));
    }

    [Fact]
    public async Task AFailingCommandIsAnErrorWithItsOutput()
    {
        var tool = new ShellToolDefinition { Name = "fails", Command = ["sh", "-c", "echo broken >&2; exit 2"] };
        var box = await BoxAsync(With(tool));

        Assert.Equal("error: exit code 2\n--- stderr ---\nbroken\n", await ErrorAsync(box, "fails"));
    }

    [Fact]
    public void DefinitionsAreCheckedWithMessagesThatSayTheFix()
    {
        static string Problem(ShellToolDefinition d) => Assert.Throws<OrchestraException>(d.Validate).Message;

        Assert.Equal("shell tool 'bad': the command uses {missing} but no parameter 'missing' is declared; declare it under parameters",
            Problem(new ShellToolDefinition { Name = "bad", Command = ["echo", "{missing}"] }));
        Assert.Equal("shell tool 'bad': the program '{prog}' may not hold a placeholder; put placeholders in the arguments",
            Problem(new ShellToolDefinition { Name = "bad", Command = ["{prog}"], Parameters = [new ShellToolParameter { Name = "prog" }] }));
        Assert.Contains("has the name of a built-in tool", Problem(new ShellToolDefinition { Name = "read_file", Command = ["cat"] }), StringComparison.Ordinal);
        Assert.Contains("is invalid", Problem(new ShellToolDefinition { Name = "has space", Command = ["x"] }), StringComparison.Ordinal);
        Assert.Contains("has no command", Problem(new ShellToolDefinition { Name = "empty", Command = [] }), StringComparison.Ordinal);
    }

    [Fact]
    public void FromJsonReadsTheConfigurationForm()
    {
        var json = JsonNode.Parse("""
            {
              "description": "Runs the tests.",
              "command": ["dotnet", "test", "--filter", "{filter}"],
              "parameters": { "filter": { "description": "A test filter.", "required": false, "default": "Category=Fast" } },
              "timeout": "5m",
              "working_dir": "src",
              "env": { "CI": "true" }
            }
            """)!.AsObject();

        var tool = ShellToolDefinition.FromJson("test", json);

        Assert.Equal("test", tool.Name);
        Assert.Equal(["dotnet", "test", "--filter", "{filter}"], tool.Command);
        Assert.Equal(TimeSpan.FromMinutes(5), tool.Timeout);
        Assert.Equal("src", tool.WorkingDirectory);
        Assert.Equal("true", tool.Environment["CI"]);
        var filter = Assert.Single(tool.Parameters);
        Assert.False(filter.Required);
        Assert.Equal("Category=Fast", filter.Default);
    }

    [Fact]
    public void FromJsonNamesTheBadKey()
    {
        static string Problem(string json) =>
            Assert.Throws<OrchestraException>(() => ShellToolDefinition.FromJson("t", JsonNode.Parse(json)!.AsObject())).Message;

        Assert.Equal("tools.t: unknown key 'cmd'. Known keys: description, command, parameters, timeout, working_dir, env", Problem("""{"cmd": ["x"]}"""));
        Assert.StartsWith("tools.t.command must be a list of strings", Problem("""{"command": "dotnet test"}"""), StringComparison.Ordinal);
        Assert.StartsWith("'soon' is not a duration for tools.t.timeout", Problem("""{"command": ["x"], "timeout": "soon"}"""), StringComparison.Ordinal);
        Assert.Equal("tools.t.parameters.p.type is 'list'; use string, integer, number or boolean", Problem("""{"command": ["x", "{p}"], "parameters": {"p": {"type": "list"}}}"""));
    }

    [Fact]
    public async Task AWorkingDirectoryOutsideTheWorkspaceIsAnError()
    {
        var tool = new ShellToolDefinition { Name = "escape", Command = ["pwd"], WorkingDirectory = "../.." };
        var box = await BoxAsync(With(tool));

        Assert.Contains("outside the workspace", await ErrorAsync(box, "escape"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentsMayArriveAsPlainValues()
    {
        var box = await BoxAsync(With(Args()));
        var call = new Microsoft.Extensions.AI.FunctionCallContent("c", "args", new Dictionary<string, object?> { ["first"] = "v", ["second"] = 3, ["optional"] = JsonSerializer.SerializeToElement(true) });

        var result = await box.InvokeAsync(call);

        Assert.Equal("exit code 0\n--- stdout ---\n|--fixed|\n|v|\n|x=3y|\n|true|\n", result.Text);
    }
}
