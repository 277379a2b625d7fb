namespace Orchestra.Cli.Tests;

/// <summary>
/// What a user sees when a coding agent's CLI is missing or ends without an answer: the task fails with one line that
/// says what happened and what to do.
/// </summary>
public sealed class CodingAgentFailureTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public CodingAgentFailureTests()
    {
        Assert.Equal(0, _cli.Run("init").ExitCode);
    }

    public void Dispose() => _cli.Dispose();

    private void WriteAgent(string kind, string? executable) =>
        _cli.WriteFile(".orchestra/agents/agent.yaml", $"""
            kind: {kind}
            description: a coding agent
            {(executable is null ? "" : "executable: " + executable)}
            {(kind == "codex" ? "user_config: false\nskip_git_repo_check: true" : "")}
            """);

    private string Script(string body)
    {
        var path = Path.Combine(_cli.Root, "stand-in");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>The task failed (exit code 1) and its error is a single line holding every expected part.</summary>
    private static void AssertFailedInOneLine(CliResult r, params string[] expected)
    {
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Err.Split('\n'), l => l.Contains(expected[0], StringComparison.Ordinal));
        foreach (var e in expected)
            Assert.Contains(e, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claude-code", "the claude CLI was not found ('claude' on PATH)", "npm install -g @anthropic-ai/claude-code")]
    [InlineData("codex", "the Codex CLI 'codex' was not found", "npm install -g @openai/codex")]
    public void ACliThatIsNotInstalled_FailsTheTask_SayingHowToInstallIt(string kind, string problem, string install)
    {
        WriteAgent(kind, executable: null);
        // A PATH without the CLI, as on a machine where it was never installed.
        _cli.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(_cli.Root, "empty-bin")).FullName;

        AssertFailedInOneLine(_cli.Run("task", "agent", "write the tests"), problem, install, "executable:");
    }

    [Fact]
    public void AClaudeCliThatExitsWithoutAResult_FailsTheTask_SayingSo()
    {
        // Reads the initialize request, announces a session, then ends without a result message.
        WriteAgent("claude-code", Script("""
            read -r line
            echo '{"type":"system","subtype":"init","session_id":"0199a213-0000-7000-8000-000000000001"}'
            echo 'out of memory' >&2
            exit 0
            """));

        AssertFailedInOneLine(_cli.Run("task", "agent", "write the tests"), "without a result message", "out of memory");
    }

    [Fact]
    public void ACodexCliThatExitsWithoutFinishingItsTurn_FailsTheTask_SayingSo()
    {
        WriteAgent("codex", Script("""
            echo '{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}'
            echo '{"type":"turn.started"}'
            exit 0
            """));

        AssertFailedInOneLine(_cli.Run("task", "agent", "write the tests"), "exited without finishing its turn");
    }
}
