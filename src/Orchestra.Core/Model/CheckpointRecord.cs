using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>Why a checkpoint was written.</summary>
public static class CheckpointReasons
{
    /// <summary>The run was created: its initial state and first steps.</summary>
    public const string Created = "created";
    /// <summary>One or more step results were recorded.</summary>
    public const string Step = "step";
    /// <summary>A person acted: an approval, a rejection, a message to an interactive agent.</summary>
    public const string Human = "human";
    /// <summary>A user cancelled a step or the run.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>A user retried a step.</summary>
    public const string Retry = "retry";
    /// <summary>The run was put back to one of its earlier checkpoints.</summary>
    public const string Replay = "replay";
    /// <summary>The run was started from another run's checkpoint.</summary>
    public const string Fork = "fork";
}

/// <summary>
/// A numbered checkpoint of a graph run (1, 2, 3 …), written in the same transaction as the change it records: the
/// run's state document and graph bookkeeping after the change. Which steps were open at that moment, and which
/// commits the repositories were at, follow from the run's events up to <see cref="Seq"/>; see
/// <see cref="CheckpointHistory"/>.
/// </summary>
public sealed record CheckpointRecord
{
    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>Position within the run, from 1; assigned by the store when appended.</summary>
    public int Number { get; init; }

    /// <summary>When the transaction that wrote it started.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The sequence number of the last event the transaction appended: the run's events up to it are the history the checkpoint closes.</summary>
    public long Seq { get; init; }

    /// <summary>What the transaction did: one of <see cref="CheckpointReasons"/>.</summary>
    public string Reason { get; init; } = CheckpointReasons.Step;

    /// <summary>The steps whose results or human actions it records, in order (several when results were committed together).</summary>
    public IReadOnlyList<string> Steps { get; init; } = [];

    /// <summary>The graph nodes of <see cref="Steps"/>, in the same order.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>The run's state document after the change.</summary>
    public JsonObject State { get; init; } = [];

    /// <summary>The run's graph bookkeeping after the change (node outputs, loop counts, joins, the pipeline source).</summary>
    public JsonObject Graph { get; init; } = [];

    /// <summary>Extra facts: <c>replayed_to</c> for a replay; <c>forked_from</c>, <c>forked_at</c> and <c>edits</c> for a fork.</summary>
    public JsonObject? Details { get; init; }
}
