namespace Orchestra.Core.Model;

/// <summary>Thrown when code asks for a status change the state machine does not allow. A bug, not a user error.</summary>
public sealed class InvalidTransitionException : InvalidOperationException
{
    /// <summary>Creates the exception for a step.</summary>
    public InvalidTransitionException(string entity, string id, string from, string to)
        : base($"{entity} {id} cannot go from '{from}' to '{to}'.")
    {
        Entity = entity;
        From = from;
        To = to;
    }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidTransitionException() : base("Invalid transition.") { Entity = From = To = ""; }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidTransitionException(string message) : base(message) { Entity = From = To = ""; }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public InvalidTransitionException(string message, Exception inner) : base(message, inner) { Entity = From = To = ""; }

    /// <summary>"step" or "run".</summary>
    public string Entity { get; }

    /// <summary>The status the entity had.</summary>
    public string From { get; }

    /// <summary>The status that was asked for.</summary>
    public string To { get; }
}

/// <summary>The legal status changes of steps and runs.</summary>
public static class Transitions
{
    /// <summary>Whether a step may go from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(StepStatus from, StepStatus to) => (from, to) switch
    {
        // A replay sets aside any step of the run, finished or not; nothing comes back from superseded.
        (not StepStatus.Superseded, StepStatus.Superseded) => true,
        (StepStatus.Pending, StepStatus.Ready or StepStatus.Cancelled or StepStatus.Failed or StepStatus.Skipped) => true,
        (StepStatus.Ready, StepStatus.Running or StepStatus.Cancelled or StepStatus.Failed or StepStatus.Skipped or StepStatus.Waiting) => true,
        // Running → Ready is a retry (transient failure or a reclaimed lease).
        (StepStatus.Running, StepStatus.Ready or StepStatus.Succeeded or StepStatus.Failed or StepStatus.Cancelled
            or StepStatus.TimedOut or StepStatus.Waiting) => true,
        (StepStatus.Waiting, StepStatus.Ready or StepStatus.Running or StepStatus.Succeeded or StepStatus.Failed
            or StepStatus.Cancelled or StepStatus.TimedOut) => true,
        // A user's retry brings a finished, unsuccessful step back.
        (StepStatus.Failed or StepStatus.Cancelled or StepStatus.TimedOut or StepStatus.Skipped, StepStatus.Ready or StepStatus.Pending) => true,
        _ => false,
    };

    /// <summary>Whether a run may go from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(RunStatus from, RunStatus to) => (from, to) switch
    {
        (RunStatus.Created, RunStatus.Running or RunStatus.Paused or RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) => true,
        (RunStatus.Running, RunStatus.Paused or RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) => true,
        (RunStatus.Paused, RunStatus.Running or RunStatus.Cancelled or RunStatus.Completed or RunStatus.Failed) => true,
        // New work in a finished run (a retry, or a step added after it) reopens it.
        (RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled, RunStatus.Running) => true,
        _ => false,
    };

    /// <summary>Returns <paramref name="to"/> or throws <see cref="InvalidTransitionException"/>.</summary>
    public static StepStatus Ensure(string stepId, StepStatus from, StepStatus to) =>
        from == to || IsAllowed(from, to) ? to : throw new InvalidTransitionException("step", stepId, from.ToWire(), to.ToWire());

    /// <summary>Returns <paramref name="to"/> or throws <see cref="InvalidTransitionException"/>.</summary>
    public static RunStatus Ensure(string runId, RunStatus from, RunStatus to) =>
        from == to || IsAllowed(from, to) ? to : throw new InvalidTransitionException("run", runId, from.ToWire(), to.ToWire());
}
