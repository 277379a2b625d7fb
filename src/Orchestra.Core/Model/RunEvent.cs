using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>Names of the events the engine appends.</summary>
public static class EventTypes
{
    /// <summary>A run was created.</summary>
    public const string RunCreated = "run.created";
    /// <summary>A run changed status.</summary>
    public const string RunStatus = "run.status";
    /// <summary>A step was created.</summary>
    public const string StepCreated = "step.created";
    /// <summary>A step became ready.</summary>
    public const string StepReady = "step.ready";
    /// <summary>An attempt started.</summary>
    public const string StepStarted = "step.started";
    /// <summary>An attempt failed and will be retried.</summary>
    public const string StepRetrying = "step.retrying";
    /// <summary>A step reached a terminal status.</summary>
    public const string StepFinished = "step.finished";
    /// <summary>A step waits for a person: an approval, or the next message to an interactive agent.</summary>
    public const string StepWaiting = "step.waiting";
    /// <summary>A person sent a message to an interactive agent.</summary>
    public const string HumanMessage = "human.message";
    /// <summary>A person finished a conversation with an interactive agent; its last reply is the step's output.</summary>
    public const string HumanDone = "human.done";
    /// <summary>A person approved a step's result, or the start of a step held by an edge.</summary>
    public const string ApprovalGranted = "approval.granted";
    /// <summary>A person rejected a step's result, or the start of a step held by an edge.</summary>
    public const string ApprovalRejected = "approval.rejected";
    /// <summary>What an isolated step left in its own directory, recorded with its result (for git: repository → commit).</summary>
    public const string StepSnapshot = "step.snapshot";
    /// <summary>A run was put back to one of its checkpoints.</summary>
    public const string RunReplayed = "run.replayed";
    /// <summary>A run was started from another run's checkpoint.</summary>
    public const string RunForked = "run.forked";
    /// <summary>The state document changed.</summary>
    public const string StateChanged = "state.changed";
    /// <summary>A conversation session was extended by a step's result.</summary>
    public const string SessionSaved = "session.saved";
    /// <summary>An agent's own event (output, tool call, ...).</summary>
    public const string Agent = "agent";
    /// <summary>Partial output: streamed live, never stored.</summary>
    public const string Delta = "delta";
}

/// <summary>An append-only record of something that happened in a run.</summary>
public sealed record RunEvent
{
    /// <summary>Position in the store's event log, assigned on append.</summary>
    public long Seq { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The step, if the event concerns one.</summary>
    public string? StepId { get; init; }

    /// <summary>One of <see cref="EventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Details.</summary>
    public JsonObject? Data { get; init; }
}
