using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// An MCP server for tests: echo, add, env (reads a variable, to check what the client passed on), pid (to check
// that the client stops the process) and fail (a tool error with a message for the model).
var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "orchestra-test", Version = "1.0.0" },
    ToolCollection =
    [
        McpServerTool.Create([Description("Returns the text it is given.")] (string text) => text,
            new McpServerToolCreateOptions { Name = "echo", Description = "Returns the text it is given." }),
        McpServerTool.Create((int a, int b) => a + b,
            new McpServerToolCreateOptions { Name = "add", Description = "Adds two whole numbers." }),
        McpServerTool.Create((string name) => Environment.GetEnvironmentVariable(name) ?? "(not set)",
            new McpServerToolCreateOptions { Name = "env", Description = "Returns the value of an environment variable of the server." }),
        McpServerTool.Create(() => Environment.ProcessId,
            new McpServerToolCreateOptions { Name = "pid", Description = "Returns the server's process id." }),
        McpServerTool.Create(string () => throw new McpException("the fail tool always fails"),
            new McpServerToolCreateOptions { Name = "fail", Description = "Always fails." }),
        McpServerTool.Create(() => "dotted",
            new McpServerToolCreateOptions { Name = "dotted.name", Description = "A tool whose name is not wire-safe." }),
    ],
};

await using var server = McpServer.Create(new StdioServerTransport("orchestra-test"), options);
await server.RunAsync();
