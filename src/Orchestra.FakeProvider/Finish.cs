namespace Orchestra.FakeProvider;

/// <summary>Why a reply ended, translatable to each protocol's word.</summary>
internal readonly record struct Finish
{
    // One row per neutral reason: OpenAI's word, Anthropic's word.
    private static readonly string[] OpenAi = ["stop", "tool_calls", "length", "content_filter"];
    private static readonly string[] Anthropic = ["end_turn", "tool_use", "max_tokens", "refusal"];

    private readonly int _row;
    private readonly string? _raw;

    private Finish(int row, string? raw)
    {
        _row = row;
        _raw = raw;
    }

    /// <summary>The finish for <paramref name="requested"/>, or the natural one for a reply with or without tool calls.</summary>
    public static Finish From(string? requested, bool hasToolCalls)
    {
        if (string.IsNullOrEmpty(requested))
            return new(hasToolCalls ? 1 : 0, null);
        var row = Array.IndexOf(OpenAi, requested);
        if (row < 0)
            row = Array.IndexOf(Anthropic, requested);
        return new(row, row < 0 ? requested : null);
    }

    /// <summary>Chat Completions' <c>finish_reason</c>.</summary>
    public string ForOpenAi => _row >= 0 ? OpenAi[_row] : _raw!;

    /// <summary>Anthropic's <c>stop_reason</c>.</summary>
    public string ForAnthropic => _row >= 0 ? Anthropic[_row] : _raw!;

    /// <summary>The reply was cut by the token limit.</summary>
    public bool IsLength => _row == 2;

    /// <summary>The reply was withheld by a content filter.</summary>
    public bool IsContentFilter => _row == 3;
}
