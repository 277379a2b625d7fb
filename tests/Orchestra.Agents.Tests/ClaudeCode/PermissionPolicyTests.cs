using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class PermissionPolicyTests
{
    private static JsonObject Bash(string command) => new() { ["command"] = command };

    private static JsonObject File(string path) => new() { ["file_path"] = path, ["content"] = "x" };

    [Fact]
    public void An_unrestricted_agent_allows_every_tool()
    {
        var policy = new PermissionPolicy([], [], readOnly: false);

        Assert.True(policy.Decide("Write", File("/w/a.txt")).Allow);
        Assert.True(policy.Decide("Bash", Bash("rm -rf build")).Allow);
        Assert.Null(policy.CheckHook("Write", File("/w/a.txt")));
    }

    [Fact]
    public void A_read_only_agent_denies_writes_in_the_hook_and_in_permission_answers()
    {
        var policy = new PermissionPolicy([], [], readOnly: true);

        foreach (var tool in PermissionPolicy.WriteTools)
        {
            var hook = policy.CheckHook(tool, File("/w/a.txt"));
            Assert.NotNull(hook);
            Assert.False(hook.Value.Allow);
            Assert.Contains("read-only", hook.Value.Reason);
            Assert.False(policy.Decide(tool, File("/w/a.txt")).Allow);
        }
    }

    [Fact]
    public void A_read_only_agent_may_read_and_run_reading_commands_but_not_writing_ones()
    {
        var policy = new PermissionPolicy([], [], readOnly: true);

        Assert.Null(policy.CheckHook("Read", File("/w/a.txt")));
        Assert.Null(policy.CheckHook("Grep", new JsonObject { ["pattern"] = "x" }));
        Assert.Null(policy.CheckHook("Bash", Bash("git diff HEAD~1 | head -50")));
        Assert.False(policy.CheckHook("Bash", Bash("echo hi > notes.txt"))!.Value.Allow);
        Assert.False(policy.Decide("Bash", Bash("rm -rf src")).Allow);
    }

    [Fact]
    public void Disallowed_tools_are_denied_even_in_the_hook()
    {
        var policy = new PermissionPolicy([], ["WebFetch", "Bash(git push:*)"], readOnly: false);

        Assert.False(policy.CheckHook("WebFetch", new JsonObject { ["url"] = "https://example.com" })!.Value.Allow);
        Assert.False(policy.CheckHook("Bash", Bash("git push origin main"))!.Value.Allow);
        Assert.Null(policy.CheckHook("Bash", Bash("git status")));
    }

    [Fact]
    public void With_an_allow_list_permission_requests_for_other_tools_are_denied()
    {
        var policy = new PermissionPolicy(["Read", "Edit", "Bash(dotnet test:*)"], [], readOnly: false);

        Assert.True(policy.Decide("Edit", File("/w/a.cs")).Allow);
        Assert.True(policy.Decide("Bash", Bash("dotnet test tests/A")).Allow);
        var denied = policy.Decide("Bash", Bash("curl http://x"));
        Assert.False(denied.Allow);
        Assert.Contains("allowed_tools", denied.Reason);
        Assert.False(policy.Decide("Write", File("/w/a.cs")).Allow);
    }

    [Fact]
    public void Protocol_answers_have_the_shapes_the_cli_reads()
    {
        var input = File("/w/a.txt");

        var allow = ClaudeProtocol.PermissionAnswer(PermissionDecision.Allowed("ok"), input);
        var deny = ClaudeProtocol.PermissionAnswer(PermissionDecision.Denied("no writes"), input);
        var hookDeny = ClaudeProtocol.HookAnswer(PermissionDecision.Denied("no writes"));

        Assert.Equal("allow", (string?)allow["behavior"]);
        Assert.Equal("/w/a.txt", (string?)allow["updatedInput"]!["file_path"]);
        Assert.Equal("deny", (string?)deny["behavior"]);
        Assert.Equal("no writes", (string?)deny["message"]);
        Assert.Equal("deny", (string?)hookDeny["hookSpecificOutput"]!["permissionDecision"]);
        Assert.Equal("PreToolUse", (string?)hookDeny["hookSpecificOutput"]!["hookEventName"]);
        Assert.Empty(ClaudeProtocol.HookAnswer(null));
    }
}
