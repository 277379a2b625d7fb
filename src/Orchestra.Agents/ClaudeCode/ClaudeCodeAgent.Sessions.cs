using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.ClaudeCode;

public sealed partial class ClaudeCodeAgent
{
    /// <summary>What a step continues, and how to record what it did. Session records hold one object:
    /// <c>{"claude_session_id": "…", "config_dir": "…"}</c>.</summary>
    private sealed class SessionPlan
    {
        public string? Name { get; init; }
        public SessionRecord? Previous { get; init; }
        public string? Resume { get; init; }
        public bool Fork { get; init; }
        public string? Error { get; init; }
        public string ConfigDir { get; init; } = "";

        /// <summary>The result with the session record a successful step saves.</summary>
        public AgentResult Complete(AgentResult result, string? sessionId, int turns, string agent)
        {
            if (Name is null || result.Outcome != AgentOutcome.Succeeded || sessionId is null)
                return result;
            return result with
            {
                Session = new SessionRecord
                {
                    Id = Name,
                    Agent = agent,
                    Messages = [new JsonObject { ["claude_session_id"] = sessionId, ["config_dir"] = ConfigDir }],
                    Turns = (Previous?.Turns ?? 0) + turns,
                    Usage = (Previous?.Usage ?? default) + result.Usage,
                },
            };
        }
    }

    private async Task<SessionPlan> OpenSessionAsync(AgentContext context, string configDir, string cwd, string? userConfigDir, CancellationToken cancellationToken)
    {
        var input = context.Step.Input;
        var name = Text(input, "session");
        var resume = Text(input, "resume");
        var fork = Options.ForkSession || (input?["fork_session"] is JsonValue f && f.TryGetValue<bool>(out var b) && b);
        SessionRecord? previous = null;
        string? previousDir = null;
        if (name is not null)
        {
            previous = await context.LoadSessionAsync(name, cancellationToken).ConfigureAwait(false);
            if (previous is not null && previous.Agent != Name)
                return new SessionPlan { Error = $"session '{name}' is a conversation with agent '{previous.Agent}', not '{Name}': use another session name" };
            if (previous?.Messages is [JsonObject saved, ..])
            {
                resume ??= Text(saved, "claude_session_id");
                previousDir = Text(saved, "config_dir");
            }
        }
        if (resume is null)
            return new SessionPlan { Name = name, Previous = previous, ConfigDir = configDir };
        if (!ClaudeConfigDirs.IsValidSessionId(resume))
            return new SessionPlan { Error = $"'{resume}' is not a Claude Code session id: pass the session_id of an earlier step's result" };

        var search = new List<string>();
        if (previousDir is not null)
            search.Add(previousDir);
        if (Directory.Exists(Paths.ClaudeDir))
            search.AddRange(Directory.EnumerateDirectories(Paths.ClaudeDir).Order(StringComparer.Ordinal));
        if (userConfigDir is not null)
            search.Add(userConfigDir);
        if (!ClaudeConfigDirs.PrepareResume(configDir, cwd, resume, search))
            return new SessionPlan
            {
                Error = $"Claude Code session '{resume}' cannot be resumed: no transcript of it was found under {Paths.ClaudeDir} or {userConfigDir ?? "the user's ~/.claude"}; start a new session",
            };
        return new SessionPlan { Name = name, Previous = previous, Resume = resume, Fork = fork, ConfigDir = configDir };
    }

    private static string? Text(JsonObject? input, string key) =>
        input?[key] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
}
