namespace Orchestra.Cli.Tests;

/// <summary>
/// The <c>orchestra</c> process with a <c>codex</c> agent whose CLI is a stand-in script printing Codex's JSONL: what
/// <c>task</c> passes on (model, session) and what it prints.
/// </summary>
public sealed class CodexCliTests : IDisposable
{
    private const string Thread = "0199a213-81c0-7800-8aa1-bbab2a035a53";
    private readonly CliHarness _cli = new();

    public CodexCliTests()
    {
        Assert.Equal(0, _cli.Run("init").ExitCode);
        var script = Path.Combine(_cli.Root, "fake-codex");
        File.WriteAllText(script, $$$"""
            #!/bin/sh
            printf '%s\n' "$@" > "$ORCHESTRA_WORKDIR/argv.txt"
            prompt=$(cat)
            mkdir -p "$CODEX_HOME/sessions/2026/01/02"
            echo '{}' >> "$CODEX_HOME/sessions/2026/01/02/rollout-2026-01-02T00-00-00-{{{Thread}}}.jsonl"
            echo '{"type":"thread.started","thread_id":"{{{Thread}}}"}'
            echo '{"type":"turn.started"}'
            printf '{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"done: %s"}}\n' "$prompt"
            echo '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":5}}'
            """);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(_cli.StateDir, "agents", "coder.yaml"), $"""
            kind: codex
            description: a stand-in for the Codex CLI
            executable: {script}
            user_config: false
            skip_git_repo_check: true
            """);
    }

    public void Dispose() => _cli.Dispose();

    private string[] Argv() => File.ReadAllLines(Path.Combine(_cli.Root, "argv.txt"));

    [Fact]
    public void Task_runs_codex_and_prints_its_final_message()
    {
        var r = _cli.Run("task", "coder", "write the tests", "--model", "o4-mini");

        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Equal("done: write the tests\n", r.Out);
        Assert.Equal("o4-mini", Argv()[Array.IndexOf(Argv(), "--model") + 1]);
    }

    [Fact]
    public void A_session_resumes_the_codex_thread_in_a_later_process()
    {
        var first = _cli.Run("task", "coder", "remember 7", "--session", "numbers");
        Assert.True(first.ExitCode == 0, first.Err + first.Out);
        Assert.DoesNotContain("resume", Argv());

        var second = _cli.Run("task", "coder", "which number?", "--session", "numbers");

        Assert.True(second.ExitCode == 0, second.Err + second.Out);
        Assert.Equal(["resume", Thread, "-"], Argv()[^3..]);
        Assert.Equal("done: which number?\n", second.Out);
    }

    [Fact]
    public void A_provider_override_is_refused_in_one_line()
    {
        var r = _cli.Run("task", "coder", "hi", "--provider", "openai");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--provider applies to openai and anthropic agents; set base_url in .orchestra/agents/coder.yaml for codex.", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }
}
