using Orchestra.Agents.Cli;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

public sealed partial class CodexAgent
{
    /// <summary>The failure reported when the CLI ended while no orchestrator was watching and its log shows no finished turn.</summary>
    public const string LostProcessMessage = "the codex process exited while no orchestrator was watching, without finishing its turn";

    /// <summary>
    /// Follows the log until the process ends, the watchdog fires or the token is cancelled; then stops whatever is left
    /// of the process group and maps what the transcript holds to a result.
    /// </summary>
    private async Task<AgentResult> WatchAsync(
        AgentContext context, CliHandle handle, CodexTranscript transcript, LogTail output, LogTail errors, bool mayBeChild, CancellationToken cancellationToken)
    {
        var process = handle.Process;
        var time = context.Time;
        var lastOutput = time.GetTimestamp();
        ExitStatus? exit = null;
        var idle = false;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: mayBeChild).ConfigureAwait(false);
                Drain(context, transcript, output, errors);
                return AgentResult.Cancel(usage: transcript.Usage);
            }
            var ended = ChildProcess.HasEnded(process, ref mayBeChild, ref exit);
            // Read after polling, so that everything a process wrote before it ended is read before the loop stops.
            if (Read(context, transcript, output, errors, final: false))
                lastOutput = time.GetTimestamp();
            if (ended)
                break;
            if (Options.IdleTimeout > TimeSpan.Zero && time.GetElapsedTime(lastOutput) >= Options.IdleTimeout)
            {
                idle = true;
                break;
            }
            try
            {
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Handled at the top of the loop.
            }
        }
        // Stop whatever is left of the tree: the hung CLI itself, or commands it started in the background.
        var reaped = await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: mayBeChild && exit is null).ConfigureAwait(false);
        exit ??= reaped;
        Drain(context, transcript, output, errors);
        if (idle)
            return AgentResult.Transient(
                $"agent '{Name}': codex wrote nothing for {Durations.Format(Options.IdleTimeout)} and was stopped (raise `idle_timeout:` in .orchestra/agents/{Name}.yaml if it needs longer)",
                transcript.Usage);
        return await FinishAsync(context, transcript, exit, cancellationToken).ConfigureAwait(false);
    }

    private static void Drain(AgentContext context, CodexTranscript transcript, LogTail output, LogTail errors) =>
        Read(context, transcript, output, errors, final: true);

    /// <summary>Reads what the CLI wrote since the last call, events first; true when it wrote anything.</summary>
    private static bool Read(AgentContext context, CodexTranscript transcript, LogTail output, LogTail errors, bool final)
    {
        var lines = output.ReadLines(final);
        foreach (var line in lines)
            transcript.Read(line, context.Emit);
        var diagnostics = errors.ReadLines(final);
        foreach (var line in diagnostics)
            transcript.Read(line, context.Emit);
        return lines.Count > 0 || diagnostics.Count > 0;
    }

    /// <summary>The result of a run that ended on its own, with its session when the step names one.</summary>
    private async Task<AgentResult> FinishAsync(AgentContext context, CodexTranscript transcript, ExitStatus? exit, CancellationToken cancellationToken)
    {
        var result = Map(transcript, exit);
        if (result.Outcome != AgentOutcome.Succeeded || Text(context.Step.Input, "session") is not { } sessionId || transcript.ThreadId is not { } thread)
            return result;
        var previous = await context.LoadSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (previous is not null && previous.Agent != Name)
            return AgentResult.Permanent($"session '{sessionId}' is a conversation with agent '{previous.Agent}', not '{Name}': use another session name", result.Usage);
        return result with
        {
            Session = CodexSessions.Extend(previous, sessionId, Name, thread, context.Step.Id, context.Prompt, result.Output ?? "", result.Usage),
        };
    }

    /// <summary>
    /// Maps a finished run: a failed turn or the watchdog first, then a completed turn (when the exit status is 0 or
    /// unknown), then the exit status with the last error Codex printed.
    /// </summary>
    internal AgentResult Map(CodexTranscript transcript, ExitStatus? exit)
    {
        var usage = transcript.Usage;
        if (transcript.Failure is { } failure)
            return CodexFailures.Classify(Name, failure, usage);
        if (transcript.CompletedTurns > 0 && exit is null or { Code: 0 })
            return Success(transcript);
        if (exit is not { } status)
            return AgentResult.Transient($"agent '{Name}': {LostProcessMessage}", usage);
        if (status.Signal is { } signal)
            return AgentResult.Transient($"agent '{Name}': codex was killed by signal {signal}{Tail(transcript)}", usage);
        if (status.Code != 0)
        {
            var message = transcript.LastError ?? LastDiagnostic(transcript);
            return message is null
                ? AgentResult.Permanent($"agent '{Name}': codex exited with code {status.Code} without a message", usage)
                : CodexFailures.Classify(Name, message, usage);
        }
        return AgentResult.Permanent($"agent '{Name}': codex exited without finishing its turn (no turn.completed event){Tail(transcript)}", usage);
    }

    private AgentResult Success(CodexTranscript transcript)
    {
        var output = transcript.FinalMessage ?? "";
        if (_schema is null)
            return AgentResult.Success(output, transcript.Usage);
        var data = OutputSchema.ParseOutput(output, out var parseError);
        var problems = parseError is not null ? [parseError] : _schema.Validate(data);
        if (problems.Count > 0)
            return AgentResult.Permanent(
                $"agent '{Name}': codex's final message does not match its output_schema: {Secrets.Redact(string.Join("; ", problems.Take(5)))}", transcript.Usage);
        return AgentResult.Success(output, transcript.Usage, data);
    }

    /// <summary>The last line Codex wrote outside its JSON events that reads like an error, or null.</summary>
    private static string? LastDiagnostic(CodexTranscript transcript) =>
        transcript.Diagnostics.LastOrDefault(l => l.StartsWith("Error", StringComparison.OrdinalIgnoreCase))
        ?? transcript.Diagnostics.LastOrDefault(l => !l.StartsWith("WARNING:", StringComparison.Ordinal) && !l.StartsWith("Reading ", StringComparison.Ordinal))
        ?? transcript.Diagnostics.LastOrDefault();

    private static string Tail(CodexTranscript transcript) =>
        LastDiagnostic(transcript) is { } line ? $"; last output: {CodexFailures.Describe(line)}" : "";
}
