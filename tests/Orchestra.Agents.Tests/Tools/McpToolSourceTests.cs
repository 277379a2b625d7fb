using System.Globalization;
using System.Reflection;
using Orchestra.Agents.Processes;
using Orchestra.Agents.Tools;
using Orchestra.Agents.Tools.Mcp;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Tools;

/// <summary>Tools from a real MCP server (tests/Orchestra.TestMcpServer) started over stdio.</summary>
public sealed class McpToolSourceTests : ToolTestBase
{
    private static readonly string ServerDll = typeof(McpToolSourceTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestMcpServerDll").Value!;

    /// <summary>Marks this test's server processes, so that teardown can find any left behind (by pid).</summary>
    private readonly string _marker = Guid.NewGuid().ToString("N");

    private McpServerDefinition Server(string name = "test", IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.True(File.Exists(ServerDll), $"the test MCP server was not built: {ServerDll}");
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["ORCHESTRA_TEST_MARKER"] = _marker };
        return new McpServerDefinition(name, ["dotnet", ServerDll]) { Environment = env };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var pid in ServersLeft())
            _ = Libc.kill(pid, Libc.SIGKILL);
    }

    /// <summary>Pids of live processes whose environment holds this test's marker.</summary>
    private List<int> ServersLeft()
    {
        var entry = System.Text.Encoding.UTF8.GetBytes($"ORCHESTRA_TEST_MARKER={_marker}\0");
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(entry) >= 0 && ProcessProbe.Read(pid) is { HasExited: false })
                    found.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [Fact]
    public async Task ListsTheServersToolsWithQualifiedWireSafeNames()
    {
        await using var source = await McpToolSource.StartAsync(Server(), Root);

        Assert.Equal(["add", "dotted.name", "echo", "env", "fail", "pid"], source.ToolNamesOnServer.Order(StringComparer.Ordinal));
        var echo = source.Find("test:echo")!;
        Assert.Equal("test__echo", echo.Name);
        Assert.Equal("Returns the text it is given.", echo.Description);
        Assert.Equal("string", echo.JsonSchema.GetProperty("properties").GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("test__dotted_name", source.Find("test:dotted.name")!.Name);
        Assert.All(source.Functions, f => Assert.True(ToolNames.IsWireSafe(f.Name)));
    }

    [Fact]
    public async Task CallsGoToTheServerAndErrorsComeBackAsResults()
    {
        var box = await BoxAsync(Options(tools: ["test"]) with { McpServers = [Server()] });

        Assert.Equal("hello there", await OkAsync(box, "test__echo", """{"text": "hello there"}"""));
        Assert.Equal("5", await OkAsync(box, "test__add", """{"a": 2, "b": 3}"""));
        Assert.Equal("dotted", await OkAsync(box, "test__dotted_name"));
        var failed = await CallAsync(box, "test__fail");
        Assert.True(failed.IsError);
        Assert.Equal("test:fail", failed.ToolName);
        Assert.Contains("the fail tool always fails", failed.Text, StringComparison.Ordinal);
        var bad = await CallAsync(box, "test__add", """{"a": "two"}""");
        Assert.True(bad.IsError, bad.Text);
    }

    [Fact]
    public async Task TheServerGetsAMinimalEnvironmentPlusWhatItDeclares()
    {
        const string canaryName = "ORCHESTRA_MCP_CANARY_SECRET";
        Environment.SetEnvironmentVariable(canaryName, "mcp-canary-" + _marker);
        var box = await BoxAsync(Options(tools: ["test:env"]) with
        {
            McpServers = [Server(environment: new Dictionary<string, string> { ["GREETING"] = "hi", ["PASSED_ON"] = $"${{{canaryName}}}" })],
        });

        Assert.Equal(["test__env"], box.Functions.Select(f => f.Name));
        Assert.Equal("(not set)", await OkAsync(box, "test__env", $$"""{"name": "{{canaryName}}"}"""));
        Assert.Equal("hi", await OkAsync(box, "test__env", """{"name": "GREETING"}"""));
        Assert.Equal("[redacted]", await OkAsync(box, "test__env", """{"name": "PASSED_ON"}"""));
    }

    [Fact]
    public async Task DisposingStopsTheServerProcess()
    {
        var source = await McpToolSource.StartAsync(Server(), Root);
        var pidText = await source.Find("test:pid")!.InvokeAsync(new Microsoft.Extensions.AI.AIFunctionArguments());
        var pid = int.Parse((string)pidText!, CultureInfo.InvariantCulture);
        Track(pid);
        Assert.True(ProcessProbe.Read(pid) is { HasExited: false });

        await source.DisposeAsync();

        await WaitUntilAsync(() => ProcessProbe.Read(pid) is null or { HasExited: true }, "the MCP server to exit");
    }

    [Fact]
    public async Task AnUnknownToolOfAServerIsRefusedAndTheServerIsStopped()
    {
        var options = Options(tools: ["read_file", "test:ehco"]) with { McpServers = [Server()] };

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(options));

        Assert.StartsWith("unknown tool 'test:ehco': MCP server 'test' has tools ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("echo", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("; name one of them as test:TOOL, or all as test", ex.Message, StringComparison.Ordinal);
        await WaitUntilAsync(() => ServersLeft().Count == 0, "the MCP server to exit");
    }

    [Fact]
    public async Task AnUnknownServerIsAnUnknownTool()
    {
        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(Options(tools: ["other:echo"]) with { McpServers = [Server()] }));

        Assert.StartsWith("unknown tool 'other:echo'; known tools:", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("MCP servers: test (name a server for all its tools, or SERVER:TOOL for one)", ex.Message, StringComparison.Ordinal);
        Assert.Empty(ServersLeft());
    }

    [Fact]
    public async Task WithNoToolListTheAgentGetsTheReadOnlyBuiltInsAndEveryServerTool()
    {
        var box = await BoxAsync(Options() with { McpServers = [Server()] });

        var names = box.Functions.Select(f => f.Name).ToList();
        Assert.Equal(["read_file", "list_files", "search_code", "git_diff"], names.Take(4));
        Assert.Contains("test__echo", names);
        Assert.Equal(10, names.Count);
    }

    [Fact]
    public async Task AServerThatCannotStartIsAnEnvironmentError()
    {
        var definition = new McpServerDefinition("broken", ["no-such-mcp-server-orchestra"]);

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => McpToolSource.StartAsync(definition, Root));

        Assert.Equal(ErrorKind.Environment, ex.Kind);
        Assert.StartsWith("MCP server 'broken' could not be started (no-such-mcp-server-orchestra):", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void DefinitionsReadFromConfiguration()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse("""{"command": ["npx", "-y", "server"], "env": {"TOKEN": "${GITHUB_TOKEN}"}, "working_dir": "tools", "call_timeout": "30s"}""")!.AsObject();

        var definition = McpServerDefinition.FromJson("github", json);

        Assert.Equal(["npx", "-y", "server"], definition.Command);
        Assert.Equal("${GITHUB_TOKEN}", definition.Environment["TOKEN"]);
        Assert.Equal("tools", definition.WorkingDirectory);
        Assert.Equal(TimeSpan.FromSeconds(30), definition.CallTimeout);
        Assert.Equal("mcp_servers.bad: unknown key 'args'. Known keys: command, env, working_dir, call_timeout",
            Assert.Throws<OrchestraException>(() => McpServerDefinition.FromJson("bad", System.Text.Json.Nodes.JsonNode.Parse("""{"command": ["x"], "args": []}""")!.AsObject())).Message);
        Assert.Contains("is invalid", Assert.Throws<OrchestraException>(() => new McpServerDefinition("a__b", ["x"]).Validate()).Message, StringComparison.Ordinal);
    }
}
