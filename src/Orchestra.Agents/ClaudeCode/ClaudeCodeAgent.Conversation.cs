using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.ClaudeCode;

public sealed partial class ClaudeCodeAgent
{
    private const string InterruptRequestId = "orchestra_interrupt";

    /// <summary>What one run of the CLI produced.</summary>
    private readonly record struct Conversation(AgentResult Result, string? SessionId, int Turns);

    /// <summary>
    /// Drives one run: sends the initialize request and the prompt, answers control requests, turns output into events,
    /// sends follow-ups after each result, and closes the CLI's input after the last one. Waits are bounded by the idle
    /// watchdog, and after an interrupt or the last result by the grace period.
    /// </summary>
    private async Task<Conversation> ConverseAsync(
        ClaudeProcess process, AgentContext context, PermissionPolicy policy, IReadOnlyList<string> followUps, CliHandle log, CancellationToken cancellationToken)
    {
        var time = context.Time;
        var stream = new ClaudeStream();
        var pending = new Queue<string>(followUps);
        var idle = Options.IdleTimeout;
        var grace = Options.GracePeriod;
        process.Send(ClaudeProtocol.Initialize());
        process.Send(ClaudeProtocol.UserMessage(context.Prompt));
        var awaitingResult = true;
        var lastOutput = time.GetTimestamp();
        long? windingDownSince = null;
        var cancelled = false;
        var watchdog = false;
        string? protocolError = null;

        while (protocolError is null)
        {
            TimeSpan? wait = idle > TimeSpan.Zero ? idle - time.GetElapsedTime(lastOutput) : null;
            if (windingDownSince is { } since)
            {
                var left = grace - time.GetElapsedTime(since);
                wait = wait is { } w && w < left ? w : left;
            }
            var (status, line) = await process.NextLineAsync(wait, time, cancelled ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
            if (status == LineWait.EndOfOutput)
                break;
            if (status == LineWait.Cancelled)
            {
                cancelled = true;
                windingDownSince ??= time.GetTimestamp();
                process.RememberDescendants();
                process.Send(ClaudeProtocol.Interrupt(InterruptRequestId));
                context.Emit(new AgentEvent("interrupt", new JsonObject { ["reason"] = "cancelled" }));
                continue;
            }
            if (status == LineWait.TimedOut)
            {
                if (windingDownSince is { } s && time.GetElapsedTime(s) >= grace)
                    break;
                if (idle > TimeSpan.Zero && time.GetElapsedTime(lastOutput) >= idle)
                {
                    watchdog = true;
                    break;
                }
                continue;
            }

            lastOutput = time.GetTimestamp();
            var message = ClaudeProtocol.ParseLine(line!);
            var type = ClaudeProtocol.Text(message, "type");
            if (message is not null && type is "control_request" or "control_response" or "control_cancel_request")
            {
                protocolError = HandleControl(process, context, policy, message);
                continue;
            }
            foreach (var e in message is null ? stream.ReadLine(line!) : stream.Read(message))
                context.Emit(e);
            if (type != "result")
                continue;
            awaitingResult = false;
            if (!cancelled && !ClaudeStream.IsError(message!) && pending.TryDequeue(out var next))
            {
                awaitingResult = process.Send(ClaudeProtocol.UserMessage(next, stream.SessionId ?? ""));
                continue;
            }
            // The last answer is in: with its input closed the CLI finishes and exits.
            process.CloseInput();
            windingDownSince ??= time.GetTimestamp();
        }

        if (watchdog)
        {
            await process.StopGroupAsync(grace).ConfigureAwait(false);
            context.Emit(new AgentEvent("watchdog", new JsonObject { ["idle_timeout_ms"] = (long)idle.TotalMilliseconds, ["pid"] = process.Identity.Pid }));
            return new Conversation(AgentResult.Transient(
                $"the claude CLI of agent '{Name}' wrote nothing for {Durations.Format(idle)} and was stopped (idle_timeout); it will be retried", stream.Usage),
                stream.SessionId, stream.Results);
        }

        process.CloseInput();
        var remaining = windingDownSince is { } started ? grace - time.GetElapsedTime(started) : grace;
        if (protocolError is null)
            await process.WaitForExitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero).ConfigureAwait(false);
        // Whatever is left: background shells, or the CLI itself when it outstayed its result.
        await process.StopGroupAsync(grace).ConfigureAwait(false);

        if (cancelled)
            return new Conversation(AgentResult.Cancel("cancelled", stream.Usage), stream.SessionId, stream.Results);
        if (protocolError is not null)
            return new Conversation(AgentResult.Permanent(protocolError, stream.Usage), stream.SessionId, stream.Results);
        var result = ClaudeOutcome.From(Name, awaitingResult ? null : stream.Result, stream.Usage, stream.LastAssistantText, process.Exit, ErrorTail(log));
        return new Conversation(result, stream.SessionId, stream.Results);
    }

    /// <summary>Answers one control message of the CLI; returns a message when the conversation cannot go on.</summary>
    private string? HandleControl(ClaudeProcess process, AgentContext context, PermissionPolicy policy, JsonObject message)
    {
        switch (ClaudeProtocol.Text(message, "type"))
        {
            case "control_request":
                var id = ClaudeProtocol.Text(message, "request_id") ?? "";
                var request = message["request"] as JsonObject;
                var subtype = ClaudeProtocol.Text(request, "subtype");
                switch (subtype)
                {
                    case "can_use_tool":
                    {
                        var tool = ClaudeProtocol.Text(request, "tool_name") ?? "?";
                        var input = request?["input"] as JsonObject;
                        var decision = policy.Decide(tool, input);
                        process.Send(ClaudeProtocol.Success(id, ClaudeProtocol.PermissionAnswer(decision, input)));
                        EmitPermission(context, tool, decision, "can_use_tool", ClaudeProtocol.Text(request, "tool_use_id"));
                        return null;
                    }
                    case "hook_callback" when ClaudeProtocol.Text(request, "callback_id") == ClaudeProtocol.PreToolUseHookId:
                    {
                        var hookInput = request?["input"] as JsonObject;
                        var tool = ClaudeProtocol.Text(hookInput, "tool_name") ?? "?";
                        var verdict = policy.CheckHook(tool, hookInput?["tool_input"] as JsonObject);
                        process.Send(ClaudeProtocol.Success(id, ClaudeProtocol.HookAnswer(verdict)));
                        if (verdict is { } denied)
                            EmitPermission(context, tool, denied, "hook", ClaudeProtocol.Text(hookInput, "tool_use_id"));
                        return null;
                    }
                    case "hook_callback":
                        process.Send(ClaudeProtocol.Success(id, new JsonObject()));
                        return null;
                    default:
                        process.Send(ClaudeProtocol.Error(id, $"Orchestra does not answer '{subtype}' requests"));
                        context.Emit(new AgentEvent("control", new JsonObject { ["subtype"] = subtype, ["answered"] = false }));
                        return null;
                }
            case "control_response":
                var response = message["response"] as JsonObject;
                if (ClaudeProtocol.Text(response, "request_id") == ClaudeProtocol.InitializeRequestId && ClaudeProtocol.Text(response, "subtype") == "error")
                    return $"the claude CLI refused Orchestra's initialize request ({ClaudeProtocol.Text(response, "error") ?? "no reason given"}): "
                        + $"install Claude Code 2.1 or later with `{InstallHint}`";
                return null;
            default:
                // control_cancel_request: every request is answered at once, so nothing is in flight to cancel.
                return null;
        }
    }

    private static void EmitPermission(AgentContext context, string tool, PermissionDecision decision, string source, string? callId) =>
        context.Emit(new AgentEvent("permission", new JsonObject
        {
            ["tool"] = tool,
            ["decision"] = decision.Allow ? "allow" : "deny",
            ["reason"] = decision.Reason,
            ["source"] = source,
            ["call_id"] = callId,
        }));

    /// <summary>The end of what the CLI wrote to standard error in this attempt (stream-json lines left out).</summary>
    private static string ErrorTail(CliHandle log)
    {
        try
        {
            using var file = new FileStream(log.Log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(log.Offset, file.Length - 64 * 1024);
            file.Position = Math.Min(start, file.Length);
            using var reader = new StreamReader(file, Encoding.UTF8);
            var lines = reader.ReadToEnd().Split('\n').Where(l => l.Length > 0 && !l.TrimStart().StartsWith('{'));
            var text = string.Join("\n", lines).Trim();
            return text.Length <= ErrorTailChars ? text : "…" + text[^ErrorTailChars..];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
