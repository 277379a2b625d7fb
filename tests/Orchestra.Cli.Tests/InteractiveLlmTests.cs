using System.Text.RegularExpressions;
using Orchestra.FakeProvider;

namespace Orchestra.Cli.Tests;

/// <summary>
/// An interactive LLM agent in a pipeline, against the fake provider: each message typed into <c>orchestra attach</c>
/// continues the same conversation, in a new process each time.
/// </summary>
public sealed partial class InteractiveLlmTests : IAsyncLifetime
{
    private const string Key = "sk-cli-canary-0123456789abcdefgh";
    private const string KeyVariable = "ORCHESTRA_CLI_TEST_KEY";
    private readonly CliHarness _cli = new();
    private FakeProviderServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key, Models = ["gpt-4.1-mini"] });
        _cli.Environment["HOME"] = Path.Combine(_cli.Root, "home");
        _cli.Environment["ORCHESTRA_CONFIG_DIR"] = Path.Combine(_cli.Root, "user-config");
        _cli.Environment[KeyVariable] = Key;
        Assert.Equal(0, _cli.Run("init").ExitCode);
        File.WriteAllText(Path.Combine(_cli.StateDir, "agents", "assistant.yaml"), $"""
            kind: openai
            base_url: {_server.OpenAiBaseUrl}
            api_key_env: {KeyVariable}
            model: gpt-4.1-mini
            system: You are terse.
            """);
        File.WriteAllText(Path.Combine(_cli.Root, "pipeline.yaml"), """
            name: release-notes
            agents:
              editor: { use: assistant, mode: interactive, task: { text: "Draft the release notes" } }
            graph:
              edges:
                - { from: START, to: editor }
                - { from: editor, to: END }
            """);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _cli.Dispose();
    }

    [GeneratedRegex(@"^run (r[0-9a-z]+) pipeline", RegexOptions.Multiline)]
    private static partial Regex RunId();

    [Fact]
    public void Each_message_continues_the_same_session_and_done_makes_the_last_reply_the_output()
    {
        _server.Enqueue(FakeReply.FromText("Draft one: many changes."));
        var started = _cli.Run("run", "pipeline.yaml");
        Assert.True(started.ExitCode == 0, started.Err);
        var run = RunId().Match(started.Out).Groups[1].Value;
        Assert.Contains("editor (assistant) waits for your message", started.Out, StringComparison.Ordinal);

        _server.Enqueue(FakeReply.FromText("Draft two: short."));
        var chat = _cli.RunWithInput("make it shorter\n", "attach", run);
        Assert.True(chat.ExitCode == 0, chat.Err);
        Assert.Contains("│ Draft one: many changes.", chat.Out, StringComparison.Ordinal);
        Assert.Contains("│ Draft two: short.", chat.Out, StringComparison.Ordinal);

        var done = _cli.RunWithInput("/done\n", "attach", run);
        Assert.True(done.ExitCode == 0, done.Err);
        Assert.Contains($"run {run} completed", done.Out, StringComparison.Ordinal);

        Assert.Equal(2, _server.Requests.Count);
        var second = _server.Requests[1];
        // System prompt, the first prompt, the first reply and the person's message: one conversation.
        Assert.Equal("make it shorter", second.LastUserText);
        Assert.Equal(4, second.MessageCount);
        Assert.Contains("Draft the release notes", second.Body, StringComparison.Ordinal);
        Assert.Contains("Draft one: many changes.", second.Body, StringComparison.Ordinal);
        var step = _cli.Run("status", run, "--json").Json()["steps"]![0]!["id"]!.GetValue<string>();
        var output = _cli.Run("status", step, "--json").Json()["output"]!.GetValue<string>();
        Assert.Equal("Draft two: short.", output);
    }
}
