using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Orchestra.Cli.Tests;

/// <summary>
/// People in pipelines through the command line: an interactive agent driven through piped standard input, approval
/// gates, one-shot approve and reject, and the errors. Every command is its own process over the same store, so each
/// one also resumes a run that an earlier process left waiting.
/// </summary>
public sealed partial class HumanTests : IDisposable
{
    private const string Pipeline = """
        name: chat-review
        agents:
          helper:
            kind: scripted
            mode: interactive
            task: { text: "Help me plan" }
            responses:
              - { match: "shorter", output: "Short plan." }
              - { match: "slow", attempt: 2, delay: 10m, output: "never" }
              - { match: "slow", output: "Answered after a crash." }
              - { output: "Reply to: {prompt}" }
          writer:
            kind: scripted
            task: { text: "Write from {{ outputs.helper }}" }
          publisher:
            kind: scripted
            task: { text: "Publish {{ outputs.writer }}" }
        graph:
          edges:
            - { from: START, to: helper }
            - { from: helper, to: writer }
            - { from: writer, to: publisher, approve: true }
            - { from: publisher, to: END }
        nodes:
          writer: { approve: true, on_reject: revise }
        """;

    private readonly CliHarness _cli = new();

    public HumanTests()
    {
        _cli.Environment["HOME"] = Path.Combine(_cli.Root, "home");
        Ok("init");
        File.WriteAllText(Path.Combine(_cli.Root, "pipeline.yaml"), Pipeline);
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private string StartRun()
    {
        var r = Ok("run", "pipeline.yaml");
        return RunId().Match(r.Out).Groups[1].Value;
    }

    [GeneratedRegex(@"^run (r[0-9a-z]+) pipeline", RegexOptions.Multiline)]
    private static partial Regex RunId();

    [Fact]
    public void Run_of_a_pipeline_returns_when_only_a_person_can_go_on_and_says_how()
    {
        var r = _cli.Run("run", "pipeline.yaml");

        Assert.Equal(0, r.ExitCode);
        var run = RunId().Match(r.Out).Groups[1].Value;
        Assert.Contains("helper (pipeline:chat-review:helper) waits for your message", r.Out, StringComparison.Ordinal);
        Assert.Contains($"run {run} chat-review waiting", r.Out, StringComparison.Ordinal);
        Assert.Contains($"continue with 'orchestra attach {run}'", r.Out, StringComparison.Ordinal);

        var plain = Ok("run", "--until-idle");
        Assert.Contains($"continue with 'orchestra attach {run}'", plain.Out, StringComparison.Ordinal);

        var status = Ok("status", run);
        Assert.Contains($"run {run} chat-review (graph) waiting", status.Out, StringComparison.Ordinal);
        Assert.Contains("helper waits for your message (turn 1)", status.Out, StringComparison.Ordinal);
        Assert.Contains("waiting_for_person", Ok("status", run, "--json").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Attach_drives_an_interactive_agent_and_approvals_through_piped_stdin()
    {
        var run = StartRun();

        // A conversation over two messages, then /done: the writer runs and waits for its approval. End of input detaches.
        var chat = _cli.RunWithInput("make it shorter\nhello\n/done\n", "attach", run);
        Assert.True(chat.ExitCode == 0, chat.Err);
        Assert.Contains("│ Reply to: Help me plan", chat.Out, StringComparison.Ordinal);
        Assert.Contains("│ Short plan.", chat.Out, StringComparison.Ordinal);
        Assert.Contains("waits for your message (turn 2)", chat.Out, StringComparison.Ordinal);
        Assert.Contains("│ Reply to: hello", chat.Out, StringComparison.Ordinal);
        Assert.Contains("helper done: succeeded", chat.Out, StringComparison.Ordinal);
        Assert.Contains("writer (pipeline:chat-review:writer) waits for approval of its result", chat.Out, StringComparison.Ordinal);
        Assert.Contains("│ Write from Reply to: hello", chat.Out, StringComparison.Ordinal);
        Assert.Contains($"detached; run {run} still waits: orchestra attach {run}", chat.Out, StringComparison.Ordinal);

        // A later process rejects with a reason (the node revises), then approves; the edge to publisher holds it.
        var review = _cli.RunWithInput("/reject needs more detail\n/approve\n/quit\n", "attach", run);
        Assert.True(review.ExitCode == 0, review.Err);
        Assert.Contains("rejected", review.Out, StringComparison.Ordinal);
        Assert.Contains("│ Your previous result was rejected: needs more detail. Revise it.", review.Out, StringComparison.Ordinal);
        Assert.Contains("publisher (pipeline:chat-review:publisher) waits for approval to start", review.Out, StringComparison.Ordinal);

        var approved = Ok("approve", run, "--comment", "ship it");
        Assert.Contains("publisher: now ready", approved.Out, StringComparison.Ordinal);

        // Attaching runs the ready work to the end.
        var end = _cli.RunWithInput("", "attach", run);
        Assert.True(end.ExitCode == 0, end.Err);
        Assert.Contains($"run {run} completed", end.Out, StringComparison.Ordinal);

        var steps = Ok("status", run, "--json").Json()["steps"]!.AsArray();
        string StepOf(string name) => steps.First(s => s!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<string>();
        // 'logs' prints a step's events on standard error.
        Assert.Contains("human.message", Ok("logs", StepOf("helper")).Err, StringComparison.Ordinal);
        var writer = Ok("logs", StepOf("writer")).Err;
        Assert.Contains("approval.rejected", writer, StringComparison.Ordinal);
        Assert.Contains("approval.granted", writer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_killed_while_the_agent_answers_leaves_the_message_for_the_next_attach()
    {
        var run = StartRun();
        using (var attach = Process.Start(_cli.StartInfoFor("attach", run))!)
        {
            var stderr = attach.StandardError.ReadToEndAsync();
            await attach.StandardInput.WriteLineAsync("slow please");
            await attach.StandardInput.FlushAsync();
            // Wait, by reading its output, until the agent works on the message; then the process dies.
            string? line;
            while ((line = await attach.StandardOutput.ReadLineAsync()) is not null && !line.Contains("started, attempt 2", StringComparison.Ordinal))
            {
            }
            if (line is null)
                Assert.Fail($"attach ended before the agent started: {await stderr}");
            // SIGKILL: no shutdown code runs, the step stays running under a dead worker's lease.
            attach.Kill(entireProcessTree: true);
            await attach.WaitForExitAsync();
        }

        // The next attach answers the recorded message first, then waits for the person again.
        var again = _cli.RunWithInput("", "attach", run);

        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Contains("│ Answered after a crash.", again.Out, StringComparison.Ordinal);
        Assert.Contains($"detached; run {run} still waits", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_release_notes_example_completes_when_driven_from_a_script()
    {
        string? example = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && example is null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "examples", "release-notes", "pipeline.yaml");
            example = File.Exists(path) ? path : null;
        }
        var run = RunId().Match(Ok("run", example!).Out).Groups[1].Value;

        var r = _cli.RunWithInput("make it shorter\n/done\n/reject add the date\n/approve\n/approve\n", "attach", run);

        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("│ Release notes, short: faster runs, people in pipelines.", r.Out, StringComparison.Ordinal);
        Assert.Contains("│ Checked again, with the reviewer's remark applied:", r.Out, StringComparison.Ordinal);
        Assert.Contains($"run {run} completed", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Reject_fails_a_held_step_and_its_run()
    {
        var run = StartRun();
        _cli.RunWithInput("/done\n", "attach", run);
        Ok("approve", run);

        var r = Ok("reject", run, "--reason", "not today");

        Assert.Contains("publisher: now failed", r.Out, StringComparison.Ordinal);
        Assert.Contains($"run {run} failed", r.Out, StringComparison.Ordinal);
        var publisher = Ok("status", run, "--json").Json()["steps"]!.AsArray().First(s => s!["name"]!.GetValue<string>() == "publisher")!;
        Assert.Equal("rejected by a person: not today", publisher["error"]!.GetValue<string>());
    }

    [Fact]
    public void Mistakes_get_one_line_errors_and_a_nonzero_exit_code()
    {
        var run = StartRun();

        // Approving a conversation is refused, the session goes on, and the exit code reports the mistake.
        var attach = _cli.RunWithInput("/approve\n/frobnicate\n", "attach", run);
        Assert.Equal(2, attach.ExitCode);
        var errors = attach.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("is a conversation with an interactive agent, not an approval: send it a message, or /done", errors[0], StringComparison.Ordinal);
        Assert.Contains("Unknown command '/frobnicate'", errors[1], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", attach.Err, StringComparison.Ordinal);

        var noApproval = _cli.Run("approve", run);
        Assert.Equal(2, noApproval.ExitCode);
        Assert.Contains($"Run {run} has no step waiting for approval", noApproval.Err, StringComparison.Ordinal);

        var unknown = _cli.Run("attach", "r000000000000");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No run r000000000000", unknown.Err, StringComparison.Ordinal);

        _cli.RunWithInput("/done\n/approve\n", "attach", run);
        var helper = Ok("status", run, "--json").Json()["steps"]!.AsArray().First(s => s!["name"]!.GetValue<string>() == "helper")!["id"]!.GetValue<string>();
        var notWaiting = _cli.Run("reject", helper);
        Assert.Equal(2, notWaiting.ExitCode);
        Assert.Contains($"Step {helper} (helper) is succeeded, not waiting for a person", notWaiting.Err, StringComparison.Ordinal);
        Assert.Single(notWaiting.Err.Trim().Split('\n'));

        Ok("approve", run);
        _cli.RunWithInput("", "attach", run);
        var finished = _cli.Run("attach", run);
        Assert.Equal(2, finished.ExitCode);
        Assert.Contains($"Run {run} is already completed", finished.Err, StringComparison.Ordinal);
    }
}
