using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>
/// An agent's conversation that outlives one step: a follow-up task names the session and continues it.
/// Written in the same transaction as the result of the step that extended it, so a session never holds
/// a turn whose step was not recorded.
/// </summary>
public sealed record SessionRecord
{
    /// <summary>The name users give with <c>--session</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The agent the conversation is with.</summary>
    public required string Agent { get; init; }

    /// <summary>The transcript, in the agent kind's own serialisation of chat messages.</summary>
    public JsonArray Messages { get; init; } = [];

    /// <summary>Number of completed turns.</summary>
    public int Turns { get; init; }

    /// <summary>Tokens and cost over all turns.</summary>
    public Usage Usage { get; init; }

    /// <summary>When the first turn was recorded.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the last turn was recorded.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
