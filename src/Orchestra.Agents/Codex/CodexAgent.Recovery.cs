using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

public sealed partial class CodexAgent
{
    /// <summary>
    /// Settles a step whose worker is gone, from its recorded handle (<see cref="CliHandle"/>): a process still running
    /// (same pid and start time) is <see cref="ReconcileStatus.StillRunning"/>; otherwise the attempt's part of the log
    /// decides, as if the exit status were unknown (a completed turn is a success, a failed one a failure, neither a
    /// transient failure). A turn finished this way does not extend the step's session. When the store has no handle
    /// (the worker died before recording it), the handle file of the step's current attempt stands in for it: a Codex
    /// it does not name yet is looked for by its environment, and a handle found is returned. Never signals anything.
    /// </summary>
    public override ValueTask<ReconcileResult> ReconcileAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Handle is null)
            return ValueTask.FromResult(ReconcileUnrecorded(step));
        if (CliHandle.TryParse(step.Handle) is not { } handle)
            return Finished(AgentResult.Transient($"agent '{Name}': the recorded process handle could not be read"));
        if (!Ids.IsValid(step.Id))
            return Finished(AgentResult.Permanent($"'{step.Id}' is not a valid step id"));
        if (ProcessProbe.IsAlive(handle.Process))
            return ValueTask.FromResult(new ReconcileResult(ReconcileStatus.StillRunning));
        return Finished(Map(ReadTranscript(step, handle, ErrorOffset(step.Handle), out _), exit: null));

        static ValueTask<ReconcileResult> Finished(AgentResult r) => ValueTask.FromResult(new ReconcileResult(ReconcileStatus.Finished, r));
    }

    /// <summary>
    /// Reconciles an attempt whose worker died before the store recorded a handle, from the attempt's handle file: not
    /// applicable when there is none (Codex was never started); a Codex still running, named by the file or found by its
    /// environment, is handed back to be followed; otherwise the attempt's part of the log decides, and an attempt
    /// that was announced but never wrote anything is not applicable either (nothing shows it ever ran).
    /// </summary>
    private ReconcileResult ReconcileUnrecorded(StepRecord step)
    {
        if (!Ids.IsValid(step.Id) || HandleFile.Read(Paths, step.Id, step.Attempt) is not var (handle, errorOffset))
            return ReconcileResult.NotApplicable;
        if (handle.Pid <= 1 && HandleFile.FindProcess(step.Id, step.Attempt) is { } process)
            handle = handle with { Pid = process.Pid, Start = process.StartTime };
        if (handle.Pid > 1 && ProcessProbe.IsAlive(handle.Process))
            return new ReconcileResult(ReconcileStatus.StillRunning) { Handle = HandleJson(handle, errorOffset) };
        var transcript = ReadTranscript(step, handle, errorOffset, out var lines);
        return handle.Pid <= 1 && lines == 0
            ? ReconcileResult.NotApplicable
            : new ReconcileResult(ReconcileStatus.Finished, Map(transcript, exit: null));
    }

    /// <summary>What the attempt wrote to its logs, read without emitting events; <paramref name="lines"/> counts the lines.</summary>
    private CodexTranscript ReadTranscript(StepRecord step, CliHandle handle, long errorOffset, out int lines)
    {
        var transcript = new CodexTranscript(Model(step), Prices);
        lines = 0;
        foreach (var line in new LogTail(handle.Log, handle.Offset).ReadLines(final: true).Concat(new LogTail(ErrorLogFile(Paths, step.Id), errorOffset).ReadLines(final: true)))
        {
            transcript.Read(line, static _ => { });
            lines++;
        }
        return transcript;
    }

    /// <summary>
    /// Follows a run that <see cref="ReconcileAsync"/> found still running, as if this worker had started it: what the log
    /// already holds is read again without emitting events (the first worker emitted them), then the log is followed.
    /// </summary>
    public override async ValueTask<AgentResult> ResumeAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!OperatingSystem.IsLinux())
            return AgentResult.Permanent(NotSupportedMessage);
        if (CliHandle.TryParse(context.Step.Handle) is not { } handle)
            return AgentResult.Transient($"agent '{Name}': there is no readable process handle to resume");
        if (!Ids.IsValid(context.Step.Id))
            return AgentResult.Permanent($"'{context.Step.Id}' is not a valid step id");
        var transcript = new CodexTranscript(Model(context.Step), Prices);
        var output = new LogTail(handle.Log, handle.Offset);
        var errors = new LogTail(ErrorLogFile(Paths, context.Step.Id), ErrorOffset(context.Step.Handle));
        foreach (var line in output.ReadLines().Concat(errors.ReadLines()))
            transcript.Read(line, static _ => { });
        // waitpid only on the very process recorded: a reused pid is never waited for.
        var mayBeChild = ProcessProbe.Read(handle.Pid) is { } stat && stat.StartTime == handle.Start;
        return await WatchAsync(context, handle, transcript, output, errors, mayBeChild, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the process group recorded in <paramref name="handle"/>: SIGTERM, then SIGKILL after the grace period. A pid now used by another process is left alone.</summary>
    public override async ValueTask TerminateAsync(string handle, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux() || CliHandle.TryParse(handle) is not { } parsed)
            return;
        await ProcessGroups.TerminateAsync(parsed.Process, Options.GracePeriod, reapLeader: true).ConfigureAwait(false);
    }
}
