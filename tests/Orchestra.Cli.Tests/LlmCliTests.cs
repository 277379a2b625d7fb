using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestra.FakeProvider;

namespace Orchestra.Cli.Tests;

/// <summary>
/// The <c>orchestra</c> process with LLM API agents, against the fake provider server on loopback: the commands a
/// user types, their output, and what they leave in the store.
/// </summary>
public sealed class LlmCliTests : IAsyncLifetime
{
    private const string Key = "sk-cli-canary-0123456789abcdefgh";
    private const string KeyVariable = "ORCHESTRA_CLI_TEST_KEY";
    private readonly CliHarness _cli = new();
    private FakeProviderServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key, Models = ["gpt-4.1-mini", "gpt-4.1"] });
        Ok("init");
        _cli.Environment["ORCHESTRA_CONFIG_DIR"] = Path.Combine(_cli.Root, "user-config");
        _cli.Environment[KeyVariable] = Key;
        WriteAgent("assistant", $"""
            kind: openai
            description: answers questions
            base_url: {_server.OpenAiBaseUrl}
            api_key_env: {KeyVariable}
            model: gpt-4.1-mini
            system: You are terse.
            """);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _cli.Dispose();
    }

    private void WriteAgent(string name, string yaml) => File.WriteAllText(Path.Combine(_cli.StateDir, "agents", name + ".yaml"), yaml);

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private static void AssertOneLineError(CliResult r, string expected, int code = 2)
    {
        Assert.Equal(code, r.ExitCode);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    private string StoreText()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_cli.StateDir, "orchestra.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(group_concat(data, ' '), '') FROM events; SELECT coalesce(group_concat(coalesce(output,'') || coalesce(error,'') || coalesce(input,''), ' '), '') FROM steps; SELECT coalesce(group_concat(messages, ' '), '') FROM sessions;";
        using var reader = command.ExecuteReader();
        var text = "";
        do
        {
            while (reader.Read())
                text += reader.GetString(0) + "\n";
        }
        while (reader.NextResult());
        return text;
    }

    [Fact]
    public void Task_streams_the_reply_and_reports_tokens_and_cost()
    {
        _server.Enqueue(new FakeReply { Text = "Forty-two, as ever.", Usage = new FakeUsage(1000, 200) });

        var r = Ok("task", "assistant", "what is the answer?");

        Assert.Equal("Forty-two, as ever.\n", r.Out);
        Assert.Contains("succeeded · 1,200 tokens · $0.0007", r.Err, StringComparison.Ordinal);
        var request = Assert.Single(_server.Requests);
        Assert.True(request.IsStreaming);
        Assert.Equal("You are terse.", request.SystemPrompt);
    }

    [Fact]
    public void Task_json_prints_output_usage_and_cost()
    {
        _server.Enqueue(new FakeReply { Text = "ok", Usage = new FakeUsage(1_000_000, 0) });

        var json = Ok("task", "assistant", "hi", "--json").Json();

        Assert.Equal("succeeded", json["status"]!.GetValue<string>());
        Assert.Equal("ok", json["output"]!.GetValue<string>());
        Assert.Equal(1_000_000, json["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(0.4m, json["cost_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public void Model_and_provider_can_be_overridden_per_task()
    {
        File.WriteAllText(Path.Combine(_cli.StateDir, "providers.yaml"), $"""
            providers:
              fake:
                kind: openai
                base_url: {_server.OpenAiBaseUrl}
                api_key_env: {KeyVariable}
                models: {"{"} smart: gpt-4.1 {"}"}
            """);
        _server.Enqueue(FakeReply.FromText("from fake"));

        Ok("task", "assistant", "hi", "--provider", "fake", "--model", "smart");

        Assert.Equal("gpt-4.1", Assert.Single(_server.Requests).Model);
    }

    [Fact]
    public void A_session_continues_in_a_later_process()
    {
        _server.Enqueue(FakeReply.FromText("Noted, your name is Ada."));
        _server.Enqueue(FakeReply.FromText("You are Ada."));

        Ok("task", "assistant", "My name is Ada.", "--session", "intro");
        var second = Ok("task", "assistant", "Who am I?", "--session", "intro");

        Assert.Equal("You are Ada.\n", second.Out);
        Assert.Contains("Noted, your name is Ada.", _server.Requests[1].Body, StringComparison.Ordinal);
        Assert.Contains("My name is Ada.", _server.Requests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_key_is_refused_before_anything_is_written()
    {
        _cli.Environment.Remove(KeyVariable);

        var r = _cli.Run("task", "assistant", "hi");

        AssertOneLineError(r, $"no API key for provider 'assistant': set {KeyVariable}");
        Assert.Empty(_server.Requests);
        Assert.Contains("No steps", Ok("status").Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_unknown_provider_lists_the_known_ones()
    {
        AssertOneLineError(_cli.Run("task", "assistant", "hi", "--provider", "nope"), "unknown provider 'nope'. Known providers: anthropic, gemini, local, openai, openrouter");
    }

    [Fact]
    public void A_base_url_that_is_not_a_url_is_an_error_with_the_file_position()
    {
        WriteAgent("broken", "kind: openai\nbase_url: not a url\nmodel: m\n");

        AssertOneLineError(_cli.Run("task", "broken", "hi"), "base_url 'not a url' is not an http(s) URL");
    }

    [Fact]
    public void A_schema_that_is_not_json_schema_is_an_error()
    {
        WriteAgent("schemed", $"kind: openai\nbase_url: {_server.OpenAiBaseUrl}\napi_key_env: {KeyVariable}\nmodel: m\noutput_schema:\n  type: text\n");

        AssertOneLineError(_cli.Run("task", "schemed", "hi"), "'text' is not a JSON type");
    }

    [Fact]
    public void Queued_api_agent_tasks_run_with_the_worker_and_show_cost_in_status()
    {
        _server.Enqueue(new FakeReply { Text = "reviewed", Usage = new FakeUsage(2000, 100) });
        var id = Ok("start", "assistant", "review src/").Out.Trim();

        Ok("run", "--until-idle");

        var step = Ok("status", id, "--json").Json();
        Assert.Equal("succeeded", step["status"]!.GetValue<string>());
        Assert.Equal("reviewed", step["output"]!.GetValue<string>());
        Assert.True(step["usage"]!["cost_usd"]!.GetValue<decimal>() > 0);
    }

    [Fact]
    public async Task A_recorded_run_replays_with_the_provider_gone_and_no_key()
    {
        _server.Enqueue(FakeReply.FromText("recorded reply"));
        var cassette = Path.Combine(_cli.Root, "demo.cassette");
        Ok("task", "assistant", "record this", "--record", cassette);
        await _server.DisposeAsync();
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key });
        _cli.Environment.Remove(KeyVariable);

        var replayed = Ok("task", "assistant", "record this", "--replay", cassette);
        var mismatch = _cli.Run("task", "assistant", "something new", "--replay", cassette);

        Assert.Equal("recorded reply\n", replayed.Out);
        Assert.Contains("replayed 1 of 1 provider exchange(s)", replayed.Err, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("does not match cassette", mismatch.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, File.ReadAllText(cassette), StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_never_reaches_the_store_or_the_output()
    {
        _server.Enqueue(FakeReply.FromText($"the key is {Key}"));
        _server.Enqueue(FakeReply.FromError(400, $"bad key {Key}"));

        var first = _cli.Run("task", "assistant", "leak it", "--session", "s1");
        var second = _cli.Run("task", "assistant", "again", "--json");

        Assert.DoesNotContain(Key, first.Err + second.Out + second.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, StoreText().Replace($"the key is {Key}", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Provider_models_lists_what_the_endpoint_serves()
    {
        File.WriteAllText(Path.Combine(_cli.StateDir, "providers.yaml"), $"""
            providers:
              fake:
                kind: openai
                base_url: {_server.OpenAiBaseUrl}
                api_key_env: {KeyVariable}
            """);

        Assert.Equal("gpt-4.1\ngpt-4.1-mini\n", Ok("provider", "models", "fake").Out);
        Assert.Contains("fake", Ok("provider", "list").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Auth_login_checks_the_key_stores_it_privately_and_status_masks_it()
    {
        File.WriteAllText(Path.Combine(_cli.StateDir, "providers.yaml"), $"""
            providers:
              fake:
                kind: openai
                base_url: {_server.OpenAiBaseUrl}
                api_key_env: FAKE_PROVIDER_KEY_UNSET
            """);

        var wrong = _cli.RunWithInput("sk-wrong-0123456789abcdef\n", "auth", "login", "fake");
        AssertOneLineError(wrong, "rejected the API key (401)");
        Assert.DoesNotContain("sk-wrong", wrong.Err, StringComparison.Ordinal);
        var credentials = Path.Combine(_cli.Root, "user-config", "credentials.json");
        Assert.False(File.Exists(credentials));

        var right = _cli.RunWithInput(Key + "\n", "auth", "login", "fake");
        Assert.Equal(0, right.ExitCode);
        Assert.DoesNotContain(Key, right.Out + right.Err, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));

        var status = Ok("auth", "status", "--json").Json().AsArray().Single(p => p!["provider"]!.GetValue<string>() == "fake")!;
        Assert.Equal("stored", status["source"]!.GetValue<string>());
        Assert.Equal("****" + Key[^4..], status["key"]!.GetValue<string>());
        Assert.DoesNotContain(Key, Ok("auth", "status").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agent_with_tools_reads_the_workspace_through_them()
    {
        File.WriteAllText(Path.Combine(_cli.Root, "NOTES.md"), "the release is on friday\n");
        WriteAgent("reader", $"kind: openai\nbase_url: {_server.OpenAiBaseUrl}\napi_key_env: {KeyVariable}\nmodel: m\ntools: [read_file, list_files]\n");
        _server.Enqueue(FakeReply.FromToolCall("read_file", """{"path":"NOTES.md"}"""));
        _server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "Friday." });

        var r = Ok("task", "reader", "when is the release?");

        Assert.Equal("Friday.\n", r.Out);
        Assert.Contains("read_file", r.Err, StringComparison.Ordinal);
        Assert.Contains("the release is on friday", _server.Requests[1].LastToolResultText, StringComparison.Ordinal);
        Assert.Equal(["read_file", "list_files"], _server.Requests[0].ToolNames);
    }

    [Fact]
    public void A_tool_path_outside_the_workspace_goes_back_to_the_model_as_an_error()
    {
        WriteAgent("reader", $"kind: openai\nbase_url: {_server.OpenAiBaseUrl}\napi_key_env: {KeyVariable}\nmodel: m\ntools: [read_file]\n");
        _server.Enqueue(FakeReply.FromToolCall("read_file", """{"path":"../../etc/passwd"}"""));
        _server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "I may not." });

        Ok("task", "reader", "read the password file");

        Assert.StartsWith("error:", _server.Requests[1].LastToolResultText, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", _server.Requests[1].LastToolResultText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_tool_or_a_missing_permission_is_refused_when_the_agent_loads()
    {
        WriteAgent("typo", $"kind: openai\nbase_url: {_server.OpenAiBaseUrl}\napi_key_env: {KeyVariable}\nmodel: m\ntools: [read_fiel]\n");
        WriteAgent("writer", $"kind: openai\nbase_url: {_server.OpenAiBaseUrl}\napi_key_env: {KeyVariable}\nmodel: m\ntools: [write_file]\n");

        AssertOneLineError(_cli.Run("task", "typo", "hi"), "read_fiel");
        AssertOneLineError(_cli.Run("task", "writer", "hi"), "write_file");
        Assert.Empty(_server.Requests);
    }
}
