using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Orchestra.Agents.Llm;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Llm;

public sealed class CassetteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orchestra-cassette-").FullName;
    private static readonly ChatTarget Target = new(BuiltInProfiles.OpenAi, "gpt-4.1-mini", null);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File_ => Path.Combine(_dir, "demo.cassette");

    /// <summary>Answers every call with a fixed stream: the text in two pieces, maybe a tool call, then usage.</summary>
    private sealed class FixedClient(string text, bool toolCall = false) : IChatClient
    {
        public int Calls { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Calls++;
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, text[..(text.Length / 2)]);
            yield return new ChatResponseUpdate(ChatRole.Assistant, text[(text.Length / 2)..]);
            if (toolCall)
                yield return new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_1", "read_file", new Dictionary<string, object?> { ["path"] = "README.md" })]);
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 12, OutputTokenCount = 5, CachedInputTokenCount = 2 })])
            {
                FinishReason = toolCall ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.System, "be brief"), new(ChatRole.User, text)];

    [Fact]
    public async Task A_recorded_exchange_replays_the_same_stream_offline()
    {
        var inner = new FixedClient("Hello world", toolCall: true);
        var recorder = Cassette.StartRecording(File_).Wrap(inner, Target);
        var recorded = await recorder.GetStreamingResponseAsync(Ask("hi")).ToChatResponseAsync();

        var replay = Cassette.OpenForReplay(File_);
        var replayed = await replay.Wrap(null, Target).GetStreamingResponseAsync(Ask("hi")).ToChatResponseAsync();

        Assert.Equal(1, inner.Calls);
        Assert.Equal(recorded.Text, replayed.Text);
        Assert.Equal("Hello world", replayed.Text);
        var call = Assert.Single(replayed.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("read_file", call.Name);
        Assert.Equal("README.md", call.Arguments!["path"]!.ToString());
        Assert.Equal(12, replayed.Usage!.InputTokenCount);
        Assert.Equal(2, replayed.Usage.CachedInputTokenCount);
        Assert.Equal(ChatFinishReason.ToolCalls, replayed.FinishReason);
        Assert.Equal(1, replay.Replayed);
    }

    [Fact]
    public async Task A_request_that_was_not_recorded_fails_loudly()
    {
        await Cassette.StartRecording(File_).Wrap(new FixedClient("x"), Target).GetResponseAsync(Ask("hi"));
        var replay = Cassette.OpenForReplay(File_).Wrap(null, Target);

        var ex = await Assert.ThrowsAsync<OrchestraException>(() => replay.GetResponseAsync(Ask("something else")));

        Assert.Contains("does not match cassette", ex.Message, StringComparison.Ordinal);
        Assert.Contains("something else", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--record", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Equal_requests_replay_in_recorded_order_and_each_only_once()
    {
        var recorder = Cassette.StartRecording(File_);
        await recorder.Wrap(new FixedClient("first"), Target).GetResponseAsync(Ask("same"));
        await recorder.Wrap(new FixedClient("second"), Target).GetResponseAsync(Ask("same"));
        var replay = Cassette.OpenForReplay(File_).Wrap(null, Target);

        Assert.Equal("first", (await replay.GetResponseAsync(Ask("same"))).Text);
        Assert.Equal("second", (await replay.GetResponseAsync(Ask("same"))).Text);
        var ex = await Assert.ThrowsAsync<OrchestraException>(() => replay.GetResponseAsync(Ask("same")));
        Assert.Contains("already replayed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_model_and_options_are_part_of_the_match()
    {
        await Cassette.StartRecording(File_).Wrap(new FixedClient("x"), Target).GetResponseAsync(Ask("hi"), new ChatOptions { Temperature = 0.5f });

        var otherModel = Cassette.OpenForReplay(File_).Wrap(null, Target with { Model = "gpt-4.1" });
        await Assert.ThrowsAsync<OrchestraException>(() => otherModel.GetResponseAsync(Ask("hi"), new ChatOptions { Temperature = 0.5f }));
        var otherTemperature = Cassette.OpenForReplay(File_).Wrap(null, Target);
        await Assert.ThrowsAsync<OrchestraException>(() => otherTemperature.GetResponseAsync(Ask("hi"), new ChatOptions { Temperature = 0.9f }));
    }

    [Fact]
    public void A_missing_or_corrupt_cassette_is_a_one_line_error()
    {
        var missing = Assert.Throws<OrchestraException>(() => Cassette.OpenForReplay(File_));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        File.WriteAllText(File_, "{\"v\":1,\"digest\":\"abc\",\"updates\":[]}\nnot json\n");
        var corrupt = Assert.Throws<OrchestraException>(() => Cassette.OpenForReplay(File_));
        Assert.Contains("line 2", corrupt.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', corrupt.Message);
    }

    [Fact]
    public async Task A_cassette_never_holds_a_key()
    {
        const string canary = "sk-canary-cassette-0123456789";
        Secrets.Register(canary);
        var target = Target with { Key = new ApiKey(canary, KeySource.Environment) };

        await Cassette.StartRecording(File_).Wrap(new FixedClient("ok"), target).GetResponseAsync(Ask($"my key is {canary}"));

        Assert.DoesNotContain(canary, File.ReadAllText(File_), StringComparison.Ordinal);
    }
}
