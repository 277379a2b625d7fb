namespace Orchestra.Core.Model;

/// <summary>The lifecycle of one unit of agent work.</summary>
/// <remarks>
/// <c>pending → ready → running → succeeded | failed | cancelled | timed_out</c>, plus
/// <c>waiting</c> (for a human or an external callback) and <c>skipped</c> (a dependency failed and
/// the step's policy is to skip rather than fail).
/// </remarks>
public enum StepStatus
{
    /// <summary>Waiting for its dependencies.</summary>
    Pending,
    /// <summary>Dependencies succeeded; may be claimed once its backoff (if any) has passed.</summary>
    Ready,
    /// <summary>Claimed by a worker under a lease.</summary>
    Running,
    /// <summary>Waiting for a human or an external callback.</summary>
    Waiting,
    /// <summary>Finished successfully.</summary>
    Succeeded,
    /// <summary>Finished with a permanent failure or out of attempts.</summary>
    Failed,
    /// <summary>Cancelled by a user or by its run.</summary>
    Cancelled,
    /// <summary>Exceeded its timeout on the last allowed attempt.</summary>
    TimedOut,
    /// <summary>Not run because a dependency failed and its policy is <c>skip</c>.</summary>
    Skipped,
    /// <summary>Set aside by a replay to an earlier checkpoint; kept as history, never run again.</summary>
    Superseded,
}

/// <summary>The lifecycle of a run.</summary>
public enum RunStatus
{
    /// <summary>Created; no step has started yet.</summary>
    Created,
    /// <summary>At least one step has started and the run is not finished.</summary>
    Running,
    /// <summary>Paused by a user: no new step is claimed.</summary>
    Paused,
    /// <summary>Every step finished and none failed.</summary>
    Completed,
    /// <summary>Every step finished and at least one failed or timed out.</summary>
    Failed,
    /// <summary>Cancelled by a user.</summary>
    Cancelled,
}

/// <summary>Wire names and predicates for <see cref="StepStatus"/> and <see cref="RunStatus"/>.</summary>
public static class Statuses
{
    /// <summary>The lower-case wire name used in the store, JSON output and the CLI.</summary>
    public static string ToWire(this StepStatus status) => status switch
    {
        StepStatus.Pending => "pending",
        StepStatus.Ready => "ready",
        StepStatus.Running => "running",
        StepStatus.Waiting => "waiting",
        StepStatus.Succeeded => "succeeded",
        StepStatus.Failed => "failed",
        StepStatus.Cancelled => "cancelled",
        StepStatus.TimedOut => "timed_out",
        StepStatus.Skipped => "skipped",
        StepStatus.Superseded => "superseded",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The lower-case wire name used in the store, JSON output and the CLI.</summary>
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Created => "created",
        RunStatus.Running => "running",
        RunStatus.Paused => "paused",
        RunStatus.Completed => "completed",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Parses a wire name; returns false for anything else.</summary>
    public static bool TryParseStep(string? wire, out StepStatus status)
    {
        foreach (var s in Enum.GetValues<StepStatus>())
        {
            if (string.Equals(s.ToWire(), wire, StringComparison.Ordinal))
            {
                status = s;
                return true;
            }
        }
        status = default;
        return false;
    }

    /// <summary>Parses a wire name; returns false for anything else.</summary>
    public static bool TryParseRun(string? wire, out RunStatus status)
    {
        foreach (var s in Enum.GetValues<RunStatus>())
        {
            if (string.Equals(s.ToWire(), wire, StringComparison.Ordinal))
            {
                status = s;
                return true;
            }
        }
        status = default;
        return false;
    }

    /// <summary>True when the step will never run again without a user's retry.</summary>
    public static bool IsTerminal(this StepStatus status) =>
        status is StepStatus.Succeeded or StepStatus.Failed or StepStatus.Cancelled
            or StepStatus.TimedOut or StepStatus.Skipped or StepStatus.Superseded;

    /// <summary>True when the step ended without success.</summary>
    public static bool IsUnsuccessful(this StepStatus status) =>
        status is StepStatus.Failed or StepStatus.Cancelled or StepStatus.TimedOut or StepStatus.Skipped;

    /// <summary>True when the run is finished.</summary>
    public static bool IsTerminal(this RunStatus status) =>
        status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>The wire names of all terminal step statuses.</summary>
    public static IReadOnlyList<StepStatus> TerminalSteps { get; } =
        [StepStatus.Succeeded, StepStatus.Failed, StepStatus.Cancelled, StepStatus.TimedOut, StepStatus.Skipped, StepStatus.Superseded];
}
