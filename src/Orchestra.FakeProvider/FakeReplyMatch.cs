namespace Orchestra.FakeProvider;

/// <summary>
/// Conditions on a request, all of which must hold (unset ones are ignored); the data form of
/// <see cref="FakeReply.Match"/> that script files use. Text comparisons are ordinal and case-sensitive.
/// </summary>
public sealed record FakeReplyMatch
{
    /// <summary>The last user text contains this.</summary>
    public string? LastUserContains { get; init; }

    /// <summary>The system prompt contains this.</summary>
    public string? SystemContains { get; init; }

    /// <summary>The requested model is exactly this.</summary>
    public string? Model { get; init; }

    /// <summary>The request came in on this endpoint.</summary>
    public ProviderProtocol? Protocol { get; init; }

    /// <summary>A tool of this name is offered.</summary>
    public string? ToolOffered { get; init; }

    /// <summary>True: the request offers tools; false: it offers none.</summary>
    public bool? HasTools { get; init; }

    /// <summary>True: the conversation ends with tool results; false: it does not.</summary>
    public bool? AfterToolResult { get; init; }

    /// <summary>Whether <paramref name="request"/> meets every condition set.</summary>
    public bool Matches(RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (LastUserContains is null || request.LastUserText.Contains(LastUserContains, StringComparison.Ordinal))
            && (SystemContains is null || (request.SystemPrompt?.Contains(SystemContains, StringComparison.Ordinal) ?? false))
            && (Model is null || string.Equals(request.Model, Model, StringComparison.Ordinal))
            && (Protocol is null || request.Protocol == Protocol)
            && (ToolOffered is null || request.ToolNames.Contains(ToolOffered, StringComparer.Ordinal))
            && (HasTools is null || request.ToolNames.Count > 0 == HasTools)
            && (AfterToolResult is null || request.LastToolResultText is not null == AfterToolResult);
    }
}
