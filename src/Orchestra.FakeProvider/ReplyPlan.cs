using System.Globalization;

namespace Orchestra.FakeProvider;

/// <summary>A <see cref="FakeReply"/> resolved against one request: the text and its deltas, the calls, usage and finish.</summary>
internal sealed class ReplyPlan
{
    private const int EchoLimit = 200;

    private ReplyPlan(FakeReply reply, string model, string? text, IReadOnlyList<PlannedCall> calls, FakeUsage usage)
    {
        Reply = reply;
        Model = model;
        Text = text;
        TextChunks = text is null ? [] : reply.Chunks is { } n ? TextSplit.Even(text, n) : TextSplit.Words(text);
        ToolCalls = calls;
        Usage = usage;
        Finish = Finish.From(reply.FinishReason, calls.Count > 0);
    }

    public FakeReply Reply { get; }

    /// <summary>The model the reply names: the requested one, else the first configured one.</summary>
    public string Model { get; }

    /// <summary>The text part, or null when the reply has none (tool calls only).</summary>
    public string? Text { get; }

    /// <summary>The text in streamed deltas; empty for no text or empty text.</summary>
    public IReadOnlyList<string> TextChunks { get; }

    public IReadOnlyList<PlannedCall> ToolCalls { get; }

    public FakeUsage Usage { get; }

    public Finish Finish { get; }

    public static ReplyPlan Create(FakeReply reply, RecordedRequest request, IReadOnlyList<string> models)
    {
        var text = reply.Text;
        if (text is null && reply.ToolCalls.Count == 0)
            text = "fake reply to: " + TextSplit.Truncate(request.LastUserText, EchoLimit);
        if (text is { Length: 0 } && reply.ToolCalls.Count > 0)
            text = null;
        var calls = reply.ToolCalls.Select(c => new PlannedCall(c.Name, c.Arguments, c.Id, TextSplit.Even(c.Arguments, 3))).ToList();
        var produced = (text?.Length ?? 0) + calls.Sum(c => c.Name.Length + c.Arguments.Length);
        var usage = reply.Usage ?? new FakeUsage(Math.Max(1, request.Body.Length / 4), Math.Max(1, produced / 4));
        return new ReplyPlan(reply, request.Model ?? models[0], text, calls, usage);
    }
}

/// <summary>One tool call of a plan; <see cref="ArgumentChunks"/> are the streamed pieces of <see cref="Arguments"/>.</summary>
internal sealed record PlannedCall(string Name, string Arguments, string? Id, IReadOnlyList<string> ArgumentChunks);

/// <summary>Splits text into streamed pieces without breaking a surrogate pair.</summary>
internal static class TextSplit
{
    /// <summary>One piece per word, each with the whitespace after it (the first also with any before it).</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var pieces = new List<string>();
        var start = 0;
        var seenWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var space = char.IsWhiteSpace(text[i]);
            if (!space && seenWord && i > start && char.IsWhiteSpace(text[i - 1]))
            {
                pieces.Add(text[start..i]);
                start = i;
            }
            seenWord |= !space;
        }
        if (start < text.Length)
            pieces.Add(text[start..]);
        return pieces;
    }

    /// <summary>At most <paramref name="count"/> pieces of near-equal length; none for empty text.</summary>
    public static IReadOnlyList<string> Even(string text, int count)
    {
        var pieces = new List<string>();
        var start = 0;
        for (var k = 1; k <= count && start < text.Length; k++)
        {
            var end = k == count ? text.Length : Math.Max(start + 1, (int)((long)text.Length * k / count));
            if (end < text.Length && char.IsLowSurrogate(text[end]))
                end++;
            if (end <= start)
                continue;
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces;
    }

    /// <summary>At most <paramref name="limit"/> characters of <paramref name="text"/>.</summary>
    public static string Truncate(string text, int limit)
    {
        if (text.Length <= limit)
            return text;
        var end = char.IsLowSurrogate(text[limit]) ? limit - 1 : limit;
        return text[..end];
    }
}

/// <summary>Ids in each protocol's style, unique per server and predictable in tests.</summary>
internal sealed class IdSource
{
    private int _next;

    public string Next(string prefix) =>
        prefix + Interlocked.Increment(ref _next).ToString("D6", CultureInfo.InvariantCulture);
}
