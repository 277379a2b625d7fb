using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Orchestra.Agents.Llm;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.FakeProvider;
using ProviderProtocol = Orchestra.Agents.Llm.ProviderProtocol;

namespace Orchestra.Benchmarks;

/// <summary>
/// The LLM provider stack against servers on loopback: the time the stack adds to a streamed call over a raw
/// HttpClient request, how soon a streamed token reaches an event subscriber, and many concurrent streams.
/// </summary>
internal static class LlmBenchmark
{
    private const string Key = "sk-bench-0123456789abcdef";

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = Options.Int(args, "--calls", 2000);
        var concurrent = Options.Int(args, "--concurrent", 200);
        var tokens = Options.Int(args, "--tokens", 2000);
        Environment.SetEnvironmentVariable("ORCHESTRA_BENCH_KEY", Key);
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key, Models = ["gpt-4.1-mini"] });

        Console.WriteLine($"llm benchmark: fake provider on {server.BaseUrl}, {calls} sequential streamed calls per variant");
        foreach (var protocol in new[] { ProviderProtocol.OpenAi, ProviderProtocol.Anthropic })
            await OverheadAsync(server, protocol, calls);
        await ConcurrencyAsync(server, concurrent);
        await TokenLatencyAsync(tokens);
        return 0;
    }

    private static ChatTarget Target(FakeProviderServer server, ProviderProtocol protocol) => new(
        new ProviderProfile
        {
            Name = protocol == ProviderProtocol.Anthropic ? "bench-anthropic" : "bench-openai",
            Protocol = protocol,
            BaseUrl = protocol == ProviderProtocol.Anthropic ? server.AnthropicBaseUrl : server.OpenAiBaseUrl,
            ApiKeyEnv = "ORCHESTRA_BENCH_KEY",
        },
        "gpt-4.1-mini",
        new ApiKey(Key, KeySource.Environment));

    private static ChatAgent Agent(FakeProviderServer server, ProviderProtocol protocol) => new(
        "bench", protocol,
        new ChatAgentOptions
        {
            BaseUrl = (protocol == ProviderProtocol.Anthropic ? server.AnthropicBaseUrl : server.OpenAiBaseUrl).ToString(),
            ApiKeyEnv = "ORCHESTRA_BENCH_KEY",
            Model = "gpt-4.1-mini",
        });

    private static async Task OverheadAsync(FakeProviderServer server, ProviderProtocol protocol, int calls)
    {
        using var raw = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        var target = Target(server, protocol);
        var client = new ResilientChatClient(ChatClientFactory.Create(target), target);
        var agent = Agent(server, protocol);
        var step = new StepRecord { Id = Ids.NewStepId(TimeProvider.System), RunId = Ids.NewRunId(TimeProvider.System), Name = "b", Agent = "bench", Prompt = "hi", Attempt = 1 };
        var context = new AgentContext(step, [], Environment.CurrentDirectory, TimeProvider.System);
        List<ChatMessage> messages = [new(ChatRole.User, "hi")];

        async Task Raw()
        {
            using var request = RawRequest(server, protocol);
            using var response = await raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
        }

        async Task Stack()
        {
            await foreach (var _ in client.GetStreamingResponseAsync(messages, new ChatOptions { MaxOutputTokens = 256 }))
            {
            }
        }

        async Task Full()
        {
            var result = await agent.InvokeAsync(context);
            if (result.Outcome != AgentOutcome.Succeeded)
                throw new InvalidOperationException(result.Error);
        }

        var rawTimes = new List<double>();
        var stackTimes = new List<double>();
        var agentTimes = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            // The first round warms up connections and the JIT; only the second is reported.
            var measure = round == 1;
            await Time(Raw, calls, measure ? rawTimes : null);
            await Time(Stack, calls, measure ? stackTimes : null);
            await Time(Full, calls, measure ? agentTimes : null);
        }
        var name = protocol == ProviderProtocol.Anthropic ? "anthropic" : "openai";
        var rawMedian = Options.Median(rawTimes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name}: raw HttpClient median {rawMedian:0.000} ms p99 {Options.Percentile(rawTimes, 0.99):0.000} ms; " +
            $"IChatClient stack median {Options.Median(stackTimes):0.000} ms (+{Options.Median(stackTimes) - rawMedian:0.000}); " +
            $"agent call median {Options.Median(agentTimes):0.000} ms (+{Options.Median(agentTimes) - rawMedian:0.000})"));
    }

    private static async Task Time(Func<Task> call, int count, List<double>? into)
    {
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            into?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private static HttpRequestMessage RawRequest(FakeProviderServer server, ProviderProtocol protocol)
    {
        HttpRequestMessage request;
        if (protocol == ProviderProtocol.Anthropic)
        {
            request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.AnthropicBaseUrl, "v1/messages"))
            {
                Content = new StringContent("""{"model":"gpt-4.1-mini","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", Key);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.OpenAiBaseUrl, "chat/completions"))
            {
                Content = new StringContent("""{"model":"gpt-4.1-mini","max_tokens":256,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        }
        return request;
    }

    private static async Task ConcurrencyAsync(FakeProviderServer server, int concurrent)
    {
        var agent = Agent(server, ProviderProtocol.OpenAi);
        var start = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(async i =>
        {
            var step = new StepRecord { Id = Ids.NewStepId(TimeProvider.System), RunId = Ids.NewRunId(TimeProvider.System), Name = "c", Agent = "bench", Prompt = $"call {i}", Attempt = 1 };
            return await agent.InvokeAsync(new AgentContext(step, [], Environment.CurrentDirectory, TimeProvider.System));
        }));
        var elapsed = Stopwatch.GetElapsedTime(start);
        var failed = results.Count(r => r.Outcome != AgentOutcome.Succeeded);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {concurrent} concurrent streamed agent calls: {concurrent - failed} succeeded, {failed} failed in {elapsed.TotalMilliseconds:0} ms"));
    }

    /// <summary>
    /// A server that streams Chat Completions chunks whose text is the moment it wrote them; the subscriber on the
    /// engine's event stream subtracts. Server, worker and subscriber share one process and one clock.
    /// </summary>
    private static async Task TokenLatencyAsync(int tokens)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/event-stream";
            for (var i = 0; i < tokens; i++)
            {
                var chunk = new JsonObject
                {
                    ["id"] = "c1", ["object"] = "chat.completion.chunk", ["created"] = 0, ["model"] = "m",
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = $"{Stopwatch.GetTimestamp()};" } }),
                };
                await http.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n");
                await http.Response.Body.FlushAsync();
                // Spaced out so that tokens arrive one by one, as a model's do.
                await Task.Delay(1);
            }
            var last = new JsonObject
            {
                ["id"] = "c1", ["object"] = "chat.completion.chunk", ["created"] = 0, ["model"] = "m",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" }),
            };
            await http.Response.WriteAsync($"data: {last.ToJsonString()}\n\ndata: [DONE]\n\n");
        });
        await app.StartAsync();
        var url = app.Urls.First();

        var agent = new ChatAgent("streamer", ProviderProtocol.OpenAi, new ChatAgentOptions { BaseUrl = url + "/v1", ApiKeyEnv = "ORCHESTRA_BENCH_KEY", Model = "m" });
        await using var store = new InMemoryStore();
        var engine = new OrchestraEngine(store, new AgentRegistry([agent]));
        var latencies = new List<double>(tokens);
        using var subscription = engine.Events.Subscribe(e =>
        {
            if (e.Type == EventTypes.Delta && e.Data?["text"]?.GetValue<string>() is { } text)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
                    latencies.Add(Stopwatch.GetElapsedTime(long.Parse(part, CultureInfo.InvariantCulture), now).TotalMilliseconds);
            }
        });
        for (var round = 0; round < 2; round++)
        {
            if (round == 1) latencies.Clear();
            await engine.StartAsync(new StepSpec { Agent = "streamer", Prompt = "stream" });
            using var worker = new Worker(engine, new WorkerOptions { Parallelism = 1, UntilIdle = true });
            await worker.RunAsync();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  token to event subscriber ({latencies.Count} tokens, server flush -> SDK -> agent -> worker -> subscriber): median {Options.Median(latencies):0.000} ms, p99 {Options.Percentile(latencies, 0.99):0.000} ms"));
        await app.StopAsync();
    }
}
