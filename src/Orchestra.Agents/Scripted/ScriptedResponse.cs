using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Scripted;

/// <summary>How a scripted response fails.</summary>
public enum ScriptedFailure
{
    /// <summary>It does not fail.</summary>
    None,
    /// <summary>A failure worth retrying.</summary>
    Transient,
    /// <summary>A failure a retry will not fix.</summary>
    Permanent,
}

/// <summary>One entry of a scripted agent's <c>responses:</c> list.</summary>
public sealed record ScriptedResponse
{
    /// <summary>A regular expression the prompt must match; null matches any prompt.</summary>
    public string? Match { get; set; }

    /// <summary>Only on this attempt number (for example 1, to fail once and then succeed).</summary>
    public int? Attempt { get; set; }

    /// <summary>The text output. <c>{prompt}</c>, <c>{step_id}</c>, <c>{attempt}</c> are substituted.</summary>
    public string? Output { get; set; }

    /// <summary>Time to wait before answering.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>Fail instead of answering.</summary>
    public ScriptedFailure Fail { get; set; }

    /// <summary>The failure's message.</summary>
    public string? Error { get; set; }

    /// <summary>Usage to report.</summary>
    public Usage Usage { get; set; }

    /// <summary>Structured output.</summary>
    public JsonNode? Data { get; set; }

    /// <summary>A state delta.</summary>
    public JsonObject? State { get; set; }

    /// <summary>A route for conditional edges.</summary>
    public string? Route { get; set; }
}

/// <summary>The fields of a <c>kind: scripted</c> agent definition.</summary>
public sealed record ScriptedOptions
{
    /// <summary>Responses, tried in order; the first that matches answers.</summary>
    public IReadOnlyList<ScriptedResponse> Responses { get; set; } = [];

    /// <summary>Most steps of this agent at once.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>A description shown by <c>orchestra agent list</c>.</summary>
    public string? Description { get; set; }
}
