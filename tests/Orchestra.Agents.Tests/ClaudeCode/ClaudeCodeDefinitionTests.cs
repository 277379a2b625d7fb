using Orchestra.Agents.ClaudeCode;
using Orchestra.Core;
using Orchestra.Workspace;

namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>Agent files of kind <c>claude-code</c>: bound from snake_case YAML, refused with the file position.</summary>
public sealed class ClaudeCodeDefinitionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestra-claude-def-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Orchestra.Core.Agents.Agent Load(string yaml)
    {
        var agents = Directory.CreateDirectory(Path.Combine(_root, ".orchestra", "agents")).FullName;
        File.WriteAllText(Path.Combine(agents, "claude.yaml"), yaml);
        return new AgentCatalog(OrchestraWorkspace.At(_root)).Get("claude");
    }

    [Fact]
    public void Every_documented_field_binds_from_snake_case()
    {
        var agent = Assert.IsType<ClaudeCodeAgent>(Load(
            """
            kind: claude-code
            description: reviews code
            executable: /opt/claude/bin/claude
            env: { DISABLE_AUTOUPDATER: "1" }
            model: sonnet
            system_prompt: You are a reviewer.
            append_system_prompt: Be brief.
            allowed_tools: [Read, Grep, "Bash(git diff:*)"]
            disallowed_tools: [WebFetch]
            permission_mode: default
            read_only: true
            max_turns: 12
            max_budget_usd: 2.5
            setting_sources: [project]
            mcp_config: { mcpServers: { docs: { command: docs-server } } }
            idle_timeout: 90s
            include_partial_messages: false
            fork_session: true
            cwd: src
            extra_args: [--effort, low]
            grace_period: 2s
            max_concurrency: 3
            """));

        var o = agent.Options;
        Assert.Equal("/opt/claude/bin/claude", o.Executable);
        Assert.Equal("1", o.Env["DISABLE_AUTOUPDATER"]);
        Assert.Equal("sonnet", o.Model);
        Assert.Equal("You are a reviewer.", o.SystemPrompt);
        Assert.Equal("Be brief.", o.AppendSystemPrompt);
        Assert.Equal(["Read", "Grep", "Bash(git diff:*)"], o.AllowedTools);
        Assert.Equal(["WebFetch"], o.DisallowedTools);
        Assert.True(o.ReadOnly);
        Assert.Equal(12, o.MaxTurns);
        Assert.Equal(2.5m, o.MaxBudgetUsd);
        Assert.Equal(["project"], o.SettingSources);
        Assert.Equal("docs-server", (string?)o.McpConfig!["mcpServers"]!["docs"]!["command"]);
        Assert.Equal(TimeSpan.FromSeconds(90), o.IdleTimeout);
        Assert.False(o.IncludePartialMessages);
        Assert.True(o.ForkSession);
        Assert.Equal("src", o.Cwd);
        Assert.Equal(TimeSpan.FromSeconds(2), o.GracePeriod);
        Assert.Equal(3, agent.MaxConcurrency);
    }

    [Fact]
    public void A_minimal_definition_uses_claude_on_path()
    {
        var agent = Assert.IsType<ClaudeCodeAgent>(Load("kind: claude-code\n"));

        Assert.Equal("claude", agent.Options.Executable);
        Assert.Equal(TimeSpan.FromMinutes(15), agent.Options.IdleTimeout);
    }

    [Theory]
    [InlineData("kind: claude-code\npermission_mode: yolo\n", "claude.yaml:2:", "'yolo' is not a permission mode. Known modes: default, acceptEdits")]
    [InlineData("kind: claude-code\nmax_turns: 0\n", "claude.yaml:2:", "max_turns")]
    [InlineData("kind: claude-code\nsetting_sources: [global]\n", "claude.yaml:2:", "'global' is not a setting source")]
    [InlineData("kind: claude-code\nallowed_tools: [\"Bash(git\"]\n", "claude.yaml:2:", "is not a tool rule")]
    [InlineData("kind: claude-code\nidle_timeout: soon\n", "claude.yaml:2:", "'soon' is not a duration")]
    [InlineData("kind: claude-code\nallowed_tool: [Read]\n", "claude.yaml:2:", "unknown key 'allowed_tool'. Known keys:")]
    public void Bad_fields_are_one_line_errors_with_the_position(string yaml, string position, string message)
    {
        var ex = Assert.Throws<OrchestraException>(() => Load(yaml));

        Assert.Contains(position, ex.Message);
        Assert.Contains(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
