using System.Text.Json;

namespace Orchestra.FakeProvider;

/// <summary>
/// One scripted answer of the fake server: text, tool calls and usage, or a fault. The same reply is rendered in
/// whichever protocol the request used. Build one with the factories and refine it with <c>with</c>:
/// <code>server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("weather")) with { Text = "Sunny." });</code>
/// </summary>
public sealed record FakeReply
{
    /// <summary>
    /// The assistant's text. When null and there are no <see cref="ToolCalls"/>, the server answers
    /// <c>fake reply to: &lt;last user text&gt;</c>; when null with tool calls, the reply has no text part.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? Text { get; init; }

    /// <summary>How many streamed deltas the text is split into; null sends one delta per word (with its trailing space).</summary>
    /// <value>The default value is null (one delta per word).</value>
    public int? Chunks { get; init; }

    /// <summary>Tool calls the reply makes, after its text. Their presence makes the finish reason <c>tool_calls</c> / <c>tool_use</c>.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<FakeToolCall> ToolCalls { get; init; } = [];

    /// <summary>The usage to report; null estimates it (about four characters a token) from the request body and the reply.</summary>
    /// <value>The default value is null.</value>
    public FakeUsage? Usage { get; init; }

    /// <summary>
    /// Overrides the finish reason. The neutral names <c>stop</c>, <c>tool_calls</c>, <c>length</c> and
    /// <c>content_filter</c> (or their Anthropic twins <c>end_turn</c>, <c>tool_use</c>, <c>max_tokens</c>, <c>refusal</c>)
    /// are translated to each protocol's word; any other value is sent as it is.
    /// </summary>
    /// <value>The default value is null: <c>tool_calls</c> when there are tool calls, else <c>stop</c>.</value>
    public string? FinishReason { get; init; }

    /// <summary>Which requests this reply may answer; null answers any. The first queued reply that matches wins.</summary>
    /// <value>The default value is null.</value>
    public Func<RecordedRequest, bool>? Match { get; init; }

    /// <summary>An HTTP error status (400 to 599) to answer with, in the protocol's error shape, instead of a reply.</summary>
    /// <value>The default value is null (a normal reply).</value>
    public int? Status { get; init; }

    /// <summary>The error message sent with <see cref="Status"/>; null uses a standard one for the status.</summary>
    /// <value>The default value is null.</value>
    public string? ErrorMessage { get; init; }

    /// <summary>Sent with <see cref="Status"/> as the <c>retry-after</c> (whole seconds, rounded up) and <c>retry-after-ms</c> headers.</summary>
    /// <value>The default value is null (no header).</value>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Sends a body that is not valid JSON (non-streaming) or an SSE event whose data is not valid JSON (streaming).</summary>
    /// <value>The default value is false.</value>
    public bool MalformedJson { get; init; }

    /// <summary>
    /// Ends the connection early, as a dropped link would: streaming replies after this many SSE events (0 drops the
    /// connection before any response), non-streaming ones after half of their body. The client sees a body that
    /// stops short; streams shorter than this end normally.
    /// </summary>
    /// <value>The default value is null (never cut).</value>
    public int? CutStreamAfterChunks { get; init; }

    /// <summary>How long to wait before sending anything.</summary>
    /// <value>The default value is zero.</value>
    public TimeSpan FirstByteDelay { get; init; }

    /// <summary>How many requests this reply answers before it leaves the queue.</summary>
    /// <value>The default value is 1.</value>
    public int Repeat { get; init; } = 1;

    /// <summary>When true the reply never leaves the queue (<see cref="Repeat"/> is ignored).</summary>
    /// <value>The default value is false.</value>
    public bool Sticky { get; init; }

    /// <summary>A reply with <paramref name="text"/>.</summary>
    public static FakeReply FromText(string text) => new() { Text = text };

    /// <summary>A reply that calls one tool; <paramref name="arguments"/> is a JSON object's text.</summary>
    public static FakeReply FromToolCall(string name, string arguments = "{}", string? id = null) =>
        new() { ToolCalls = [new FakeToolCall(name, arguments, id)] };

    /// <summary>An HTTP error reply in the protocol's error shape.</summary>
    public static FakeReply FromError(int status, string? message = null, TimeSpan? retryAfter = null) =>
        new() { Status = status, ErrorMessage = message, RetryAfter = retryAfter };

    /// <summary>A reply that answers only requests for which <paramref name="match"/> is true; set the rest with <c>with</c>.</summary>
    public static FakeReply When(Func<RecordedRequest, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return new() { Match = match };
    }

    /// <summary>A reply that answers only requests that meet <paramref name="match"/>.</summary>
    public static FakeReply When(FakeReplyMatch match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return new() { Match = match.Matches };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that cannot be sent.</summary>
    public void Validate()
    {
        if (Status is { } status && status is < 400 or > 599)
            throw new ArgumentException($"FakeReply.Status must be an HTTP error status from 400 to 599, not {status}.");
        if (Chunks is < 1)
            throw new ArgumentException($"FakeReply.Chunks must be at least 1 (or null for one chunk per word), not {Chunks}.");
        if (Repeat < 1)
            throw new ArgumentException($"FakeReply.Repeat must be at least 1, not {Repeat}; use Sticky for a reply that never runs out.");
        if (CutStreamAfterChunks is < 0)
            throw new ArgumentException($"FakeReply.CutStreamAfterChunks must be 0 or more, not {CutStreamAfterChunks}.");
        if (FirstByteDelay < TimeSpan.Zero)
            throw new ArgumentException($"FakeReply.FirstByteDelay must not be negative, not {FirstByteDelay}.");
        if (RetryAfter is { } retry && retry < TimeSpan.Zero)
            throw new ArgumentException($"FakeReply.RetryAfter must not be negative, not {retry}.");
        if (Usage is { } usage && (usage.InputTokens < 0 || usage.OutputTokens < 0 || usage.CachedTokens < 0 || usage.CachedTokens > usage.InputTokens))
            throw new ArgumentException($"FakeReply.Usage must have counts of 0 or more and CachedTokens no larger than InputTokens, not {usage}.");
        ArgumentNullException.ThrowIfNull(ToolCalls);
        for (var i = 0; i < ToolCalls.Count; i++)
        {
            var call = ToolCalls[i] ?? throw new ArgumentException($"FakeReply.ToolCalls[{i}] is null.");
            if (string.IsNullOrWhiteSpace(call.Name))
                throw new ArgumentException($"FakeReply.ToolCalls[{i}].Name is empty: give the tool's name.");
            if (!IsJsonObject(call.Arguments))
                throw new ArgumentException($"FakeReply.ToolCalls[{i}].Arguments must be a JSON object such as {{\"path\":\"a.txt\"}}, not '{call.Arguments}'.");
        }
    }

    private static bool IsJsonObject(string? text)
    {
        if (text is null)
            return false;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
