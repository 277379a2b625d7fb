using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.FakeProvider;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>
/// The real, pinned Codex CLI (<see cref="CodexCli.Package"/>) driven by the codex agent against the fake provider's
/// Responses API on 127.0.0.1: Codex carries out scripted tool calls, and its events, usage, failures and structured
/// output come back as Orchestra results.
/// </summary>
[Collection(CodexCollection.Name)]
public sealed class CodexEndToEndTests : CodexTestBase, IAsyncLifetime
{
    private const string KeyVariable = "ORCHESTRA_TEST_FAKE_KEY";
    private const string Key = "fake-key-4d1c9b";

    private FakeProviderServer? _server;

    private FakeProviderServer Server => _server ?? throw new InvalidOperationException("the fake provider is not running");

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        // Processes first: a CLI still talking to the server must not outlive the test.
        await DisposeAsync();
        if (_server is not null)
            await _server.DisposeAsync();
    }

    private async Task<CodexAgentOptions> OptionsAsync() => new()
    {
        Executable = await CodexCli.RequireAsync(),
        Model = "fake-model",
        BaseUrl = Server.OpenAiBaseUrl.ToString(),
        ApiKeyEnv = KeyVariable,
        Env = new Dictionary<string, string> { [KeyVariable] = Key },
        UserConfig = false,
        SkipGitRepoCheck = true,
        // Failures are the agent's to classify and the engine's to retry: Codex should not retry them itself.
        Config = [$"model_providers.{CodexHome.ProviderName}.request_max_retries=0", $"model_providers.{CodexHome.ProviderName}.stream_max_retries=0"],
        IdleTimeout = TimeSpan.FromMinutes(2),
        GracePeriod = TimeSpan.FromSeconds(2),
    };

    private static bool IsTurn(RecordedRequest r) => r.Path.EndsWith("/responses", StringComparison.Ordinal);

    [CodexFact]
    public async Task AScriptedToolCall_MakesCodexWriteAFile_AndEventsAndUsageAreRecorded()
    {
        const string patch = "*** Begin Patch\n*** Add File: notes/hello.txt\n+hello from codex\n*** End Patch\n";
        Server.Enqueue(FakeReply.When(r => IsTurn(r) && r.LastToolResultText is null && r.ToolNames.Contains("exec_command")) with
        {
            ToolCalls = [new FakeToolCall("exec_command", new JsonObject { ["cmd"] = $"apply_patch <<'EOF'\n{patch}EOF\n" }.ToJsonString())],
            Usage = new FakeUsage(1000, 20),
        });
        Server.Enqueue(FakeReply.When(r => IsTurn(r) && r.LastToolResultText is not null) with
        {
            Text = "Created notes/hello.txt.",
            Usage = new FakeUsage(1200, 30, CachedTokens: 200),
        });
        var prices = new PriceTable([KeyValuePair.Create("fake-model", new ModelPrice(2m, 8m, 0.5m))]);
        var run = new Run(this, NewStep("Create notes/hello.txt saying hello."));

        var result = await run.InvokeAsync(Codex(await OptionsAsync(), prices));

        Assert.True(result.Outcome == AgentOutcome.Succeeded, result.Error);
        Assert.Equal("hello from codex\n", File.ReadAllText(Path.Combine(Root, "notes", "hello.txt")));
        Assert.Equal("Created notes/hello.txt.", result.Output);
        Assert.Equal(2200, result.Usage.InputTokens);
        Assert.Equal(200, result.Usage.CachedTokens);
        Assert.Equal(50, result.Usage.OutputTokens);
        Assert.Equal(decimal.Round((2000m * 2m + 200m * 0.5m + 50m * 8m) / 1_000_000m, 8), result.Usage.CostUsd);

        var change = Assert.Single(run.Of("file_change"));
        Assert.EndsWith("notes/hello.txt", (string?)change.Data!["changes"]![0]!["path"], StringComparison.Ordinal);
        Assert.Equal("add", (string?)change.Data!["changes"]![0]!["kind"]);
        Assert.Single(run.Of("session.started"));
        Assert.Equal("Created notes/hello.txt.", (string?)Assert.Single(run.Of("message")).Data!["text"]);
        Assert.Equal(2200, (long?)Assert.Single(run.Of("usage")).Data!["input_tokens"]);
        Assert.All(run.Events, e => Assert.DoesNotContain(Key, e.Data?.ToJsonString() ?? "", StringComparison.Ordinal));

        // Codex reached the fake provider through the agent's provider, with the key from its variable.
        var turns = Server.Requests.Where(IsTurn).ToList();
        Assert.Equal(2, turns.Count);
        Assert.All(turns, r => Assert.True(r.HasApiKey));
        Assert.All(turns, r => Assert.Equal("fake-model", r.Model));
        Assert.Contains("Create notes/hello.txt saying hello.", turns[0].LastUserText, StringComparison.Ordinal);
    }

    [CodexTheory]
    [InlineData(503, "overloaded right now", AgentOutcome.TransientFailure)]
    [InlineData(400, "this model does not exist", AgentOutcome.PermanentFailure)]
    public async Task AnApiError_IsAFailure_ClassifiedByItsStatus(int status, string message, AgentOutcome expected)
    {
        Server.Enqueue(FakeReply.FromError(status, message) with { Sticky = true });

        var result = await new Run(this, NewStep("Say hello.")).InvokeAsync(Codex(await OptionsAsync()));

        Assert.Equal(expected, result.Outcome);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.StartsWith("agent 'coder': codex: ", result.Error, StringComparison.Ordinal);
    }

    [CodexFact]
    public async Task AWrongKey_IsAPermanentFailure_ThatDoesNotShowTheKey()
    {
        var options = await OptionsAsync();
        options = options with { Env = new Dictionary<string, string> { [KeyVariable] = "wrong-key-77a0e2f1" } };

        var result = await new Run(this, NewStep("Say hello.")).InvokeAsync(Codex(options));

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-77a0e2f1", result.Error, StringComparison.Ordinal);
    }

    [CodexFact]
    public async Task AnOutputSchema_IsSentToTheModel_AndTheFinalMessageBecomesData()
    {
        Server.Enqueue(FakeReply.When(IsTurn) with { Text = """{"answer": 42, "confident": true}""" });
        var options = await OptionsAsync() with
        {
            OutputSchema = JsonNode.Parse("""
                {"type":"object","properties":{"answer":{"type":"integer"},"confident":{"type":"boolean"}},
                 "required":["answer","confident"],"additionalProperties":false}
                """)!.AsObject(),
        };

        var result = await new Run(this, NewStep("What is six times seven?")).InvokeAsync(Codex(options));

        Assert.True(result.Outcome == AgentOutcome.Succeeded, result.Error);
        Assert.Equal(42, (int?)result.Data!["answer"]);
        Assert.True((bool?)result.Data!["confident"]);
        var format = Server.Requests.Single(IsTurn).Json!.Value.GetProperty("text").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal(["answer", "confident"], format.GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [CodexFact]
    public async Task ASession_ContinuesTheSameCodexThread_InTheNextStep()
    {
        Server.Enqueue(FakeReply.When(r => IsTurn(r) && r.LastUserText.Contains("Remember", StringComparison.Ordinal)) with { Text = "I will remember 7." });
        Server.Enqueue(FakeReply.When(r => IsTurn(r) && r.LastUserText.Contains("What number", StringComparison.Ordinal)) with { Text = "It was 7." });
        var agent = Codex(await OptionsAsync());
        var first = new Run(this, NewStep("Remember the number 7.", new JsonObject { ["session"] = "numbers" }));
        var one = await first.InvokeAsync(agent);
        Assert.True(one.Outcome == AgentOutcome.Succeeded, one.Error);

        var second = new Run(this, NewStep("What number did I give you?", new JsonObject { ["session"] = "numbers" }), one.Session);
        var two = await second.InvokeAsync(agent);

        Assert.True(two.Outcome == AgentOutcome.Succeeded, two.Error);
        Assert.Equal("It was 7.", two.Output);
        Assert.Equal(2, two.Session!.Turns);
        // The same thread, and the model saw the first turn again.
        Assert.Equal(
            (string?)Assert.Single(first.Of("session.started")).Data!["thread_id"],
            (string?)Assert.Single(second.Of("session.started")).Data!["thread_id"]);
        var resumed = Server.Requests.Where(IsTurn).Last();
        Assert.Contains("I will remember 7.", resumed.Body, StringComparison.Ordinal);
        Assert.Contains("Remember the number 7.", resumed.Body, StringComparison.Ordinal);
    }

    [CodexFact]
    public async Task TheWatchdog_EndsACodexWhoseModelNeverAnswers()
    {
        Server.Enqueue(FakeReply.When(IsTurn) with { FirstByteDelay = TimeSpan.FromHours(1), Sticky = true });
        var run = new Run(this, NewStep("Say hello."));

        var result = await run.InvokeAsync(Codex(await OptionsAsync() with { IdleTimeout = TimeSpan.FromSeconds(3) }));

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains("codex wrote nothing for 3.0s and was stopped", result.Error, StringComparison.Ordinal);
        Assert.Empty(ProcessProbe.LiveGroupMembers((await run.Handle).Pid));
    }

    [CodexFact]
    public async Task Cancellation_KillsCodexAndEverythingItStarted()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Server.Enqueue(FakeReply.When(r =>
        {
            if (IsTurn(r))
                asked.TrySetResult();
            return IsTurn(r);
        }) with { FirstByteDelay = TimeSpan.FromHours(1), Sticky = true });
        var run = new Run(this, NewStep("Say hello."));
        using var cts = new CancellationTokenSource();

        var invocation = run.InvokeAsync(Codex(await OptionsAsync()), cts.Token);
        var handle = await run.Handle;
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(120));
        // The npm launcher (node) and the codex binary it started, at least.
        Assert.True(ProcessProbe.LiveGroupMembers(handle.Pid).Count >= 2);
        await cts.CancelAsync();
        var result = await invocation;

        Assert.Equal(AgentOutcome.Cancelled, result.Outcome);
        Assert.Empty(ProcessProbe.LiveGroupMembers(handle.Pid));
    }
}

/// <summary>The end-to-end tests run one at a time: each starts a Codex CLI, and the machine's cores are few.</summary>
[CollectionDefinition(Name)]
public sealed class CodexCollection
{
    public const string Name = "codex-cli";
}
