using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ToolRuleTests
{
    [Fact]
    public void A_bare_name_matches_every_call_of_that_tool()
    {
        var rule = ToolRule.Parse("Read");

        Assert.True(rule.Matches("Read", new JsonObject { ["file_path"] = "/a" }));
        Assert.False(rule.Matches("Write", null));
    }

    [Fact]
    public void Bash_rules_match_exact_commands_or_prefixes()
    {
        var prefix = ToolRule.Parse("Bash(npm run test:*)");
        var exact = ToolRule.Parse("Bash(make)");

        Assert.True(prefix.Matches("Bash", new JsonObject { ["command"] = "npm run test -- --watch" }));
        Assert.False(prefix.Matches("Bash", new JsonObject { ["command"] = "npm install" }));
        Assert.True(exact.Matches("Bash", new JsonObject { ["command"] = "make" }));
        Assert.False(exact.Matches("Bash", new JsonObject { ["command"] = "make clean" }));
    }

    [Fact]
    public void File_rules_are_globs_over_absolute_or_working_directory_relative_paths()
    {
        var rule = ToolRule.Parse("Edit(src/**/*.cs)");

        Assert.True(rule.Matches("Edit", new JsonObject { ["file_path"] = "/w/src/a/b/C.cs" }, "/w"));
        Assert.True(rule.Matches("Edit", new JsonObject { ["file_path"] = "/w/src/C.cs" }, "/w"));
        Assert.False(rule.Matches("Edit", new JsonObject { ["file_path"] = "/w/tests/C.cs" }, "/w"));
        Assert.True(ToolRule.Parse("Write(//tmp/*)").Matches("Write", new JsonObject { ["file_path"] = "/tmp/x" }));
    }

    [Fact]
    public void Mcp_server_rules_cover_all_of_its_tools_and_web_fetch_rules_a_domain()
    {
        Assert.True(ToolRule.Parse("mcp__github").Matches("mcp__github__create_issue", null));
        Assert.False(ToolRule.Parse("mcp__github").Matches("mcp__gitlab__x", null));
        Assert.True(ToolRule.Parse("WebFetch(domain:example.com)").Matches("WebFetch", new JsonObject { ["url"] = "https://example.com/a" }));
        Assert.False(ToolRule.Parse("WebFetch(domain:example.com)").Matches("WebFetch", new JsonObject { ["url"] = "https://evil.test/" }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("(x)")]
    [InlineData("Bash(x")]
    [InlineData("Bash)")]
    public void Malformed_rules_are_refused(string text)
    {
        Assert.Throws<ArgumentException>(() => ToolRule.Parse(text));
    }
}
