using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

/// <summary>
/// How a <c>codex</c> agent keeps a conversation session: each turn is one entry of <see cref="SessionRecord.Messages"/>,
/// <c>{"thread_id", "step", "prompt", "output"}</c>. The thread lives in Codex's own session file; the last entry's step
/// names the Codex home that holds its newest copy, from which the next turn's step imports it.
/// </summary>
internal static class CodexSessions
{
    /// <summary>The thread and the step of the session's last turn, or null when it has none.</summary>
    public static (string Thread, string Step)? Last(SessionRecord? session)
    {
        if (session is null)
            return null;
        for (var i = session.Messages.Count - 1; i >= 0; i--)
        {
            if (session.Messages[i] is JsonObject turn
                && turn["thread_id"] is JsonValue t && t.TryGetValue<string>(out var thread) && IsThreadId(thread)
                && turn["step"] is JsonValue s && s.TryGetValue<string>(out var step) && Ids.IsValid(step))
                return (thread, step);
        }
        return null;
    }

    /// <summary>The session after one more turn.</summary>
    public static SessionRecord Extend(SessionRecord? previous, string id, string agent, string thread, string step, string prompt, string output, Usage usage)
    {
        var messages = previous is null ? new JsonArray() : (JsonArray)previous.Messages.DeepClone();
        messages.Add(new JsonObject
        {
            ["thread_id"] = thread,
            ["step"] = step,
            ["prompt"] = prompt,
            ["output"] = output,
        });
        return new SessionRecord
        {
            Id = id,
            Agent = agent,
            Messages = messages,
            Turns = (previous?.Turns ?? 0) + 1,
            Usage = (previous?.Usage ?? default) + usage,
        };
    }

    /// <summary>
    /// True for what Codex prints as a thread id (a UUID): safe as a command-line argument (it cannot be read as an
    /// option) and inside a file name pattern.
    /// </summary>
    public static bool IsThreadId(string? text) =>
        !string.IsNullOrEmpty(text) && text.Length <= 100 && char.IsAsciiLetterOrDigit(text[0])
        && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
