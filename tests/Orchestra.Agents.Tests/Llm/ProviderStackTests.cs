using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;
using Orchestra.FakeProvider;
using Protocol = Orchestra.Agents.Llm.ProviderProtocol;

namespace Orchestra.Agents.Tests.Llm;

/// <summary>
/// The whole provider stack — agent, decorators, the official OpenAI and Anthropic SDKs, HTTP — against the fake
/// provider server on loopback, in both wire protocols.
/// </summary>
public sealed class ProviderStackTests : IAsyncLifetime
{
    private const string Canary = "sk-canary-provider-stack-0123456789";
    private readonly string _dir = Directory.CreateTempSubdirectory("orchestra-llm-").FullName;
    private readonly string _keyVariable = "ORCHESTRA_TEST_LLM_KEY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
    private FakeProviderServer _server = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(_keyVariable, Canary);
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Canary });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Environment.SetEnvironmentVariable(_keyVariable, null);
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly ResilienceOptions Fast = new()
    {
        MaxRetries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(1),
        MaxInCallDelay = TimeSpan.FromSeconds(2),
        BreakerMinimumCalls = 1000,
    };

    private ChatAgent Agent(Protocol protocol, Action<ChatAgentOptions>? configure = null, ResilienceOptions? resilience = null, Cassette? cassette = null, Func<ChatAgentOptions, AgentContext, CancellationToken, ValueTask<IToolHost?>>? tools = null)
    {
        var options = new ChatAgentOptions
        {
            BaseUrl = (protocol == Protocol.Anthropic ? _server.AnthropicBaseUrl : _server.OpenAiBaseUrl).ToString(),
            ApiKeyEnv = _keyVariable,
            Model = "fake-model",
        };
        configure?.Invoke(options);
        return new ChatAgent("assistant", protocol, options, new ChatAgentServices
        {
            Credentials = new CredentialStore(Path.Combine(_dir, "credentials.json")),
            Resilience = resilience ?? Fast,
            Cassette = cassette,
            Tools = tools,
        });
    }

    private sealed class Run
    {
        public ConcurrentQueue<AgentEvent> Events { get; } = new();
        public SessionRecord? Session { get; set; }

        public string Tokens => string.Concat(Events.Where(e => e.Kind == "token").Select(e => e.Data!["text"]!.GetValue<string>()));
    }

    private async Task<AgentResult> InvokeAsync(ChatAgent agent, string prompt, Run? run = null, JsonObject? input = null)
    {
        run ??= new Run();
        var step = new StepRecord { Id = Ids.NewStepId(TimeProvider.System), RunId = Ids.NewRunId(TimeProvider.System), Name = "t", Agent = agent.Name, Prompt = prompt, Attempt = 1, Input = input };
        var context = new AgentContext(step, [], _dir, TimeProvider.System, run.Events.Enqueue, loadSession: (_, _) => ValueTask.FromResult(run.Session));
        var result = await agent.InvokeAsync(context);
        run.Session = result.Session ?? run.Session;
        return result;
    }

    public static TheoryData<Protocol> Protocols => new() { Protocol.OpenAi, Protocol.Anthropic };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_streamed_reply_arrives_as_token_events_and_ends_as_the_output(Protocol protocol)
    {
        _server.Enqueue(new FakeReply { Text = "The build is green and the tests pass.", Usage = new FakeUsage(120, 30, 20) });
        var run = new Run();

        var result = await InvokeAsync(Agent(protocol, o => o.Model = "gpt-4.1-mini"), "how is the build?", run);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("The build is green and the tests pass.", result.Output);
        Assert.Equal(result.Output, run.Tokens);
        Assert.True(run.Events.Count(e => e.Kind == "token") > 1);
        Assert.All(run.Events.Where(e => e.Kind == "token"), e => Assert.False(e.Persist));
        Assert.Equal(30, result.Usage.OutputTokens);
        Assert.True(result.Usage.CostUsd > 0);
        var request = Assert.Single(_server.Requests);
        Assert.True(request.IsStreaming);
        Assert.Equal("how is the build?", request.LastUserText);
        Assert.Equal("gpt-4.1-mini", request.Model);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task The_system_prompt_max_tokens_and_temperature_reach_the_provider(Protocol protocol)
    {
        _server.Enqueue(FakeReply.FromText("ok"));

        await InvokeAsync(Agent(protocol, o => { o.System = "You review code."; o.MaxTokens = 321; o.Temperature = 0.25f; }), "go");

        var request = Assert.Single(_server.Requests);
        Assert.Equal("You review code.", request.SystemPrompt);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal(321, (body["max_tokens"] ?? body["max_completion_tokens"])!.GetValue<int>());
        // The Anthropic SDK's request type has no temperature field; only the OpenAI protocol carries it.
        if (protocol == Protocol.OpenAi)
            Assert.Equal(0.25, body["temperature"]!.GetValue<double>(), 3);
    }

    private sealed class EchoTools : IToolHost
    {
        public List<string> Calls { get; } = [];

        public IReadOnlyList<AITool> Tools { get; } = [new EchoFunction()];

        public ValueTask<ToolOutcome> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken)
        {
            var text = call.Arguments?.TryGetValue("text", out var t) == true ? t?.ToString() : null;
            Calls.Add($"{call.Name}:{text}");
            return call.Name == "echo"
                ? ValueTask.FromResult(new ToolOutcome(new FunctionResultContent(call.CallId, "echoed " + text), false))
                : ValueTask.FromResult(new ToolOutcome(new FunctionResultContent(call.CallId, $"error: there is no tool named '{call.Name}'"), true));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class EchoFunction : AIFunction
        {
            public override string Name => "echo";
            public override string Description => "Echoes text.";
            public override System.Text.Json.JsonElement JsonSchema { get; } =
                System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}""").RootElement;

            protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
                ValueTask.FromResult<object?>(null);
        }
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_tool_call_runs_and_its_result_goes_back_to_the_model(Protocol protocol)
    {
        var tools = new EchoTools();
        _server.Enqueue(FakeReply.FromToolCall("echo", """{"text":"ping"}"""));
        _server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "the tool said pong" });
        var run = new Run();

        var result = await InvokeAsync(Agent(protocol, o => o.Tools = ["echo"], tools: (_, _, _) => ValueTask.FromResult<IToolHost?>(tools)), "use the tool", run);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("the tool said pong", result.Output);
        Assert.Equal(["echo:ping"], tools.Calls);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(["echo"], _server.Requests[0].ToolNames);
        Assert.Equal("echoed ping", _server.Requests[1].LastToolResultText);
        Assert.Contains(run.Events, e => e.Kind == "tool_call" && e.Data!["tool"]!.GetValue<string>() == "echo");
        Assert.Contains(run.Events, e => e.Kind == "tool_result" && !e.Data!["is_error"]!.GetValue<bool>());
        Assert.Equal(2, run.Events.Count(e => e.Kind == "model_call"));
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task An_unknown_tool_is_an_error_result_for_the_model_not_a_failed_step(Protocol protocol)
    {
        var tools = new EchoTools();
        _server.Enqueue(FakeReply.FromToolCall("no_such_tool", "{}"));
        _server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "sorry" });
        var run = new Run();

        var result = await InvokeAsync(Agent(protocol, o => o.Tools = ["echo"], tools: (_, _, _) => ValueTask.FromResult<IToolHost?>(tools)), "go", run);

        Assert.True(result.Outcome == AgentOutcome.Succeeded, result.Error);
        Assert.Contains("no tool named 'no_such_tool'", _server.Requests[1].LastToolResultText, StringComparison.Ordinal);
        Assert.Contains(run.Events, e => e.Kind == "tool_result" && e.Data!["is_error"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_model_that_keeps_calling_tools_stops_at_max_tool_iterations()
    {
        var tools = new EchoTools();
        _server.Enqueue(FakeReply.FromToolCall("echo", """{"text":"again"}""") with { Sticky = true });

        var result = await InvokeAsync(Agent(Protocol.OpenAi, o => { o.Tools = ["echo"]; o.MaxToolIterations = 3; }, tools: (_, _, _) => ValueTask.FromResult<IToolHost?>(tools)), "loop");

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("max_tool_iterations", result.Error, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
        Assert.True(result.Usage.InputTokens > 0);
    }

    private const string VerdictSchema = """{"type":"object","properties":{"verdict":{"enum":["approve","reject"]}},"required":["verdict"]}""";

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Output_that_misses_the_schema_is_sent_back_with_the_error_then_accepted(Protocol protocol)
    {
        _server.Enqueue(FakeReply.FromText("""{"verdict":"maybe"}"""));
        _server.Enqueue(FakeReply.FromText("""{"verdict":"approve"}"""));

        var result = await InvokeAsync(Agent(protocol, o => o.OutputSchema = (JsonObject)JsonNode.Parse(VerdictSchema)!), "review");

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("approve", result.Data!["verdict"]!.GetValue<string>());
        Assert.Contains("does not match the required JSON Schema", _server.Requests[1].LastUserText, StringComparison.Ordinal);
        Assert.Contains("$.verdict: must be one of", _server.Requests[1].LastUserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_that_never_matches_the_schema_fails_permanently_after_the_retries()
    {
        _server.Enqueue(FakeReply.FromText("not json at all") with { Sticky = true });

        var result = await InvokeAsync(Agent(Protocol.OpenAi, o => { o.OutputSchema = (JsonObject)JsonNode.Parse(VerdictSchema)!; o.SchemaRetries = 1; }), "review");

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("does not match its output_schema after 2 tries", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task The_schema_is_sent_as_the_response_format()
    {
        _server.Enqueue(FakeReply.FromText("""{"verdict":"reject"}"""));

        await InvokeAsync(Agent(Protocol.OpenAi, o => o.OutputSchema = (JsonObject)JsonNode.Parse(VerdictSchema)!), "review");

        var body = JsonNode.Parse(_server.Requests[0].Body)!;
        Assert.Equal("json_schema", body["response_format"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_rate_limit_is_retried_within_the_call(Protocol protocol)
    {
        _server.Enqueue(FakeReply.FromError(429, "slow down", TimeSpan.FromMilliseconds(10)));
        _server.Enqueue(FakeReply.FromText("made it"));

        var result = await InvokeAsync(Agent(protocol), "go");

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("made it", result.Output);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_long_retry_after_ends_the_call_as_transient_with_that_delay(Protocol protocol)
    {
        _server.Enqueue(FakeReply.FromError(429, "quota", TimeSpan.FromSeconds(60)));

        var result = await InvokeAsync(Agent(protocol), "go");

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(60), result.RetryAfter);
        Assert.Contains("rate limiting", result.Error, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Server_errors_are_transient_after_the_in_call_retries(Protocol protocol)
    {
        _server.Enqueue(FakeReply.FromError(500, "boom") with { Sticky = true });

        var result = await InvokeAsync(Agent(protocol), "go");

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
        Assert.Contains("server error (500)", result.Error, StringComparison.Ordinal);
        Assert.Equal(1 + Fast.MaxRetries, _server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_rejected_key_fails_at_once_naming_the_variable_and_never_the_key(Protocol protocol)
    {
        Environment.SetEnvironmentVariable(_keyVariable, "sk-wrong-key-for-the-fake-0000");
        var run = new Run();

        var result = await InvokeAsync(Agent(protocol), "go", run);

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("rejected the API key (401)", result.Error, StringComparison.Ordinal);
        Assert.Contains(_keyVariable, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong", result.Error, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(400, "refused the request (400)")]
    [InlineData(402, "wants payment (402)")]
    [InlineData(403, "refused access (403)")]
    [InlineData(404, "no such model or endpoint (404)")]
    public async Task Client_errors_are_permanent_and_say_what_to_check(int status, string expected)
    {
        _server.Enqueue(FakeReply.FromError(status, "nope"));

        var result = await InvokeAsync(Agent(Protocol.OpenAi), "go");

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_stream_cut_mid_way_is_transient(Protocol protocol)
    {
        _server.Enqueue(new FakeReply { Text = "one two three four five six", Chunks = 6, CutStreamAfterChunks = 2, Sticky = true });

        var result = await InvokeAsync(Agent(protocol, resilience: Fast with { MaxRetries = 0 }), "go");

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Malformed_json_is_transient(Protocol protocol)
    {
        _server.Enqueue(new FakeReply { Text = "x", MalformedJson = true, Sticky = true });

        var result = await InvokeAsync(Agent(protocol, resilience: Fast with { MaxRetries = 0 }), "go");

        Assert.Equal(AgentOutcome.TransientFailure, result.Outcome);
    }

    [Fact]
    public async Task Repeated_failures_open_the_circuit_and_later_calls_do_not_reach_the_provider()
    {
        var breaker = Fast with { MaxRetries = 0, BreakerMinimumCalls = 2, BreakerFailureRatio = 0.5, BreakDuration = TimeSpan.FromMinutes(5) };
        _server.Enqueue(FakeReply.FromError(503, "down") with { Sticky = true });
        var agent = Agent(Protocol.OpenAi, resilience: breaker);

        await InvokeAsync(agent, "1");
        await InvokeAsync(agent, "2");
        var third = await InvokeAsync(agent, "3");

        Assert.Equal(AgentOutcome.TransientFailure, third.Outcome);
        Assert.Contains("circuit open", third.Error, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_session_carries_the_conversation_into_the_next_task(Protocol protocol)
    {
        var agent = Agent(protocol, o => o.System = "be brief");
        var run = new Run();
        var input = new JsonObject { ["session"] = "chat" };
        _server.Enqueue(FakeReply.FromText("Nice to meet you, Ada."));
        _server.Enqueue(FakeReply.FromText("Your name is Ada."));

        var first = await InvokeAsync(agent, "My name is Ada.", run, input);
        var second = await InvokeAsync(agent, "What is my name?", run, input);

        Assert.Equal(1, first.Session!.Turns);
        Assert.Equal(2, second.Session!.Turns);
        Assert.Equal(4, second.Session.Messages.Count);
        Assert.Equal(first.Usage + second.Usage, second.Session.Usage);
        Assert.Equal(3, _server.Requests[1].MessageCount - (protocol == Protocol.Anthropic ? 0 : 1));
        Assert.Contains("Nice to meet you, Ada.", _server.Requests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_of_another_agent_is_refused()
    {
        var run = new Run { Session = new SessionRecord { Id = "chat", Agent = "someone-else" } };

        var result = await InvokeAsync(Agent(Protocol.OpenAi), "hi", run, new JsonObject { ["session"] = "chat" });

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Contains("agent 'someone-else'", result.Error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_recorded_run_replays_offline_with_no_key(Protocol protocol)
    {
        var path = Path.Combine(_dir, "run.cassette");
        var tools = new EchoTools();
        Func<ChatAgentOptions, AgentContext, CancellationToken, ValueTask<IToolHost?>> toolHost = (_, _, _) => ValueTask.FromResult<IToolHost?>(tools);
        _server.Enqueue(FakeReply.FromToolCall("echo", """{"text":"a"}"""));
        _server.Enqueue(FakeReply.When(new FakeReplyMatch { AfterToolResult = true }) with { Text = "recorded answer" });
        var recorded = await InvokeAsync(Agent(protocol, o => o.Tools = ["echo"], cassette: Cassette.StartRecording(path), tools: toolHost), "record me");
        await _server.DisposeAsync();
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Canary });
        Environment.SetEnvironmentVariable(_keyVariable, null);

        var replay = Cassette.OpenForReplay(path);
        var replayed = await InvokeAsync(Agent(protocol, o => o.Tools = ["echo"], cassette: replay, tools: toolHost), "record me");

        Assert.Equal(AgentOutcome.Succeeded, replayed.Outcome);
        Assert.Equal(recorded.Output, replayed.Output);
        Assert.Equal(recorded.Usage, replayed.Usage);
        Assert.Equal(2, replay.Replayed);
        Assert.Empty(_server.Requests);
        Assert.DoesNotContain(Canary, File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_never_reaches_events_results_or_errors()
    {
        _server.Enqueue(FakeReply.FromText($"echoing {Canary} back"));
        _server.Enqueue(FakeReply.FromError(400, $"bad request for key {Canary}"));
        var run = new Run();
        var agent = Agent(Protocol.OpenAi);

        await InvokeAsync(agent, "1", run);
        var failed = await InvokeAsync(agent, "2", run);

        Assert.DoesNotContain(Canary, failed.Error, StringComparison.Ordinal);
        Assert.All(run.Events.Where(e => e.Kind != "token"), e => Assert.DoesNotContain(Canary, e.Data?.ToJsonString() ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_key_is_a_permanent_failure_that_says_how_to_give_one()
    {
        Environment.SetEnvironmentVariable(_keyVariable, null);

        var result = await InvokeAsync(Agent(Protocol.Anthropic), "go");

        Assert.Equal(AgentOutcome.PermanentFailure, result.Outcome);
        Assert.Equal($"no API key for provider 'assistant': set {_keyVariable} or run 'orchestra auth login assistant'.", result.Error);
        Assert.Empty(_server.Requests);
    }
}
