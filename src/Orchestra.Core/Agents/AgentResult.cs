using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Agents;

/// <summary>How an agent call ended.</summary>
public enum AgentOutcome
{
    /// <summary>Done.</summary>
    Succeeded,
    /// <summary>Failed in a way worth retrying.</summary>
    TransientFailure,
    /// <summary>Failed in a way a retry will not fix.</summary>
    PermanentFailure,
    /// <summary>Stopped because a budget ran out.</summary>
    BudgetExceeded,
    /// <summary>Ran past its deadline.</summary>
    TimedOut,
    /// <summary>Cancelled.</summary>
    Cancelled,
}

/// <summary>What an agent returns: an outcome, its output and what it spent. Agents return failures; they do not throw them.</summary>
public sealed record AgentResult
{
    /// <summary>How the call ended.</summary>
    public required AgentOutcome Outcome { get; init; }

    /// <summary>Final text output.</summary>
    public string? Output { get; init; }

    /// <summary>Structured output, when the agent produced any.</summary>
    public JsonNode? Data { get; init; }

    /// <summary>Changes to the run's state document, applied through its reducers.</summary>
    public JsonObject? StateDelta { get; init; }

    /// <summary>A route name chosen by the agent, which conditional edges may test.</summary>
    public string? Route { get; init; }

    /// <summary>Tokens and cost of this call.</summary>
    public Usage Usage { get; init; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; init; }

    /// <summary>For a transient failure: the delay the service asked for before the next attempt, if it named one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// The conversation session this call extended, saved in the transaction that records a successful result
    /// (and dropped with a failed one).
    /// </summary>
    public SessionRecord? Session { get; init; }

    /// <summary>A success.</summary>
    public static AgentResult Success(string? output, Usage usage = default, JsonNode? data = null, JsonObject? stateDelta = null) =>
        new() { Outcome = AgentOutcome.Succeeded, Output = output, Usage = usage, Data = data, StateDelta = stateDelta };

    /// <summary>A failure worth retrying.</summary>
    public static AgentResult Transient(string error, Usage usage = default) =>
        new() { Outcome = AgentOutcome.TransientFailure, Error = error, Usage = usage };

    /// <summary>A failure a retry will not fix.</summary>
    public static AgentResult Permanent(string error, Usage usage = default) =>
        new() { Outcome = AgentOutcome.PermanentFailure, Error = error, Usage = usage };

    /// <summary>Ran past its deadline.</summary>
    public static AgentResult Timeout(string error, Usage usage = default) =>
        new() { Outcome = AgentOutcome.TimedOut, Error = error, Usage = usage };

    /// <summary>Cancelled.</summary>
    public static AgentResult Cancel(string error = "cancelled", Usage usage = default) =>
        new() { Outcome = AgentOutcome.Cancelled, Error = error, Usage = usage };
}
