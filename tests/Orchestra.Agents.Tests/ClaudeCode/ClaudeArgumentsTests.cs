using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ClaudeArgumentsTests
{
    [Fact]
    public void The_defaults_give_print_mode_with_stream_json_both_ways_and_stdio_permissions()
    {
        var argv = ClaudeArguments.Build("/bin/claude", new ClaudeCodeOptions());

        Assert.Equal(
            ["/bin/claude", "-p", "--output-format", "stream-json", "--verbose", "--input-format", "stream-json", "--permission-prompt-tool", "stdio", "--include-partial-messages"],
            argv);
    }

    [Fact]
    public void Every_option_becomes_its_own_arguments()
    {
        var options = new ClaudeCodeOptions
        {
            Model = "sonnet",
            SystemPrompt = "You review; quote \"exactly\".",
            AppendSystemPrompt = "Be brief.",
            AllowedTools = ["Read", "Bash(git diff:*)"],
            DisallowedTools = ["WebFetch"],
            PermissionMode = "acceptEdits",
            MaxTurns = 7,
            MaxBudgetUsd = 1.5m,
            SettingSources = ["project"],
            IncludePartialMessages = false,
            ExtraArgs = ["--effort", "low"],
        };

        var argv = ClaudeArguments.Build("claude", options, mcpConfig: "{\"mcpServers\":{}}", resume: "abc-123", fork: true);

        void Pair(string flag, string value) => Assert.Equal(value, argv[argv.ToList().IndexOf(flag) + 1]);
        Pair("--model", "sonnet");
        Pair("--system-prompt", "You review; quote \"exactly\".");
        Pair("--append-system-prompt", "Be brief.");
        Pair("--allowedTools", "Read,Bash(git diff:*)");
        Pair("--disallowedTools", "WebFetch");
        Pair("--permission-mode", "acceptEdits");
        Pair("--max-turns", "7");
        Pair("--max-budget-usd", "1.5");
        Pair("--mcp-config", "{\"mcpServers\":{}}");
        Assert.Contains("--setting-sources=project", argv);
        Assert.Contains("--resume=abc-123", argv);
        Assert.Contains("--fork-session", argv);
        Assert.DoesNotContain("--include-partial-messages", argv);
        Assert.Equal(["--effort", "low"], argv.TakeLast(2));
    }

    [Fact]
    public void Mcp_config_may_be_a_mapping_a_bare_server_map_or_a_file()
    {
        var wrapped = ClaudeArguments.McpConfigValue(new JsonObject { ["mcpServers"] = new JsonObject { ["x"] = new JsonObject { ["command"] = "srv" } } }, "/w");
        var bare = ClaudeArguments.McpConfigValue(new JsonObject { ["x"] = new JsonObject { ["command"] = "srv" } }, "/w");

        Assert.Equal(wrapped, bare);
        Assert.Equal("srv", (string?)JsonNode.Parse(bare!)!["mcpServers"]!["x"]!["command"]);
        Assert.Equal("/w/mcp.json", ClaudeArguments.McpConfigValue(JsonValue.Create("mcp.json"), "/w"));
        Assert.Null(ClaudeArguments.McpConfigValue(null, "/w"));
    }
}
