using System.Text.Json.Nodes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>An answer to a tool permission question.</summary>
/// <param name="Allow">True to let the tool run.</param>
/// <param name="Reason">Why, in words a person reads in the event log (and the model reads on a denial).</param>
public readonly record struct PermissionDecision(bool Allow, string Reason)
{
    /// <summary>An allowing decision.</summary>
    public static PermissionDecision Allowed(string reason) => new(true, reason);

    /// <summary>A denying decision.</summary>
    public static PermissionDecision Denied(string reason) => new(false, reason);
}

/// <summary>
/// How a <c>claude-code</c> agent answers the CLI's questions about tools, from its definition:
/// <list type="bullet">
/// <item>a call matching <see cref="ClaudeCodeOptions.DisallowedTools"/> is denied;</item>
/// <item>in a <see cref="ClaudeCodeOptions.ReadOnly"/> agent, <c>Write</c>, <c>Edit</c>, <c>MultiEdit</c>, <c>NotebookEdit</c>
/// and any <c>Bash</c> command <see cref="ReadOnlyShell"/> cannot tell is read-only are denied;</item>
/// <item>when <see cref="ClaudeCodeOptions.AllowedTools"/> is not empty, a permission request for a call it does not
/// match is denied;</item>
/// <item>everything else is allowed: the agent runs unattended, and nobody is there to ask.</item>
/// </list>
/// The first two rules are also enforced by the PreToolUse hook (<see cref="CheckHook"/>), which the CLI consults
/// for every tool call, even one its permission mode or allow list would let through without asking.
/// </summary>
public sealed class PermissionPolicy
{
    /// <summary>The tools that change files and are therefore denied to a read-only agent (besides <c>Bash</c> writes).</summary>
    public static readonly IReadOnlyList<string> WriteTools = ["Write", "Edit", "MultiEdit", "NotebookEdit"];

    private readonly List<ToolRule> _allowed;
    private readonly List<ToolRule> _disallowed;

    /// <summary>Creates the policy of an agent.</summary>
    /// <exception cref="ArgumentException">A tool rule cannot be read.</exception>
    public PermissionPolicy(IEnumerable<string> allowedTools, IEnumerable<string> disallowedTools, bool readOnly, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(allowedTools);
        ArgumentNullException.ThrowIfNull(disallowedTools);
        _allowed = allowedTools.Select(ToolRule.Parse).ToList();
        _disallowed = disallowedTools.Select(ToolRule.Parse).ToList();
        ReadOnly = readOnly;
        WorkingDirectory = workingDirectory;
    }

    /// <summary>Creates the policy of <paramref name="options"/> for a CLI running in <paramref name="workingDirectory"/>.</summary>
    public static PermissionPolicy For(ClaudeCodeOptions options, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new PermissionPolicy(options.AllowedTools, options.DisallowedTools, options.ReadOnly, workingDirectory);
    }

    /// <summary>True for a read-only agent.</summary>
    public bool ReadOnly { get; }

    /// <summary>The directory relative file rules are matched from.</summary>
    public string? WorkingDirectory { get; }

    /// <summary>The answer to a <c>can_use_tool</c> request.</summary>
    public PermissionDecision Decide(string tool, JsonObject? input)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (CheckHook(tool, input) is { } denied)
            return denied;
        if (_allowed.Count > 0 && !ToolRule.Any(_allowed, tool, input, WorkingDirectory))
            return PermissionDecision.Denied($"{tool} is not in this agent's allowed_tools ({string.Join(", ", _allowed)})");
        return PermissionDecision.Allowed(_allowed.Count > 0 ? "matches allowed_tools" : "allowed by default: the agent runs unattended");
    }

    /// <summary>
    /// The PreToolUse hook's verdict on a call: a denial when a hard rule (disallowed tools, read-only) forbids it, else
    /// null, which leaves the call to the CLI's normal permission flow.
    /// </summary>
    public PermissionDecision? CheckHook(string tool, JsonObject? input)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (_disallowed.FirstOrDefault(r => r.Matches(tool, input, WorkingDirectory)) is { } rule)
            return PermissionDecision.Denied($"{tool} is denied by this agent's disallowed_tools ({rule})");
        if (!ReadOnly)
            return null;
        if (WriteTools.Contains(tool, StringComparer.Ordinal))
            return PermissionDecision.Denied($"this agent is read-only: {tool} would change files");
        if (tool == "Bash")
        {
            var command = input?["command"] is JsonValue v && v.TryGetValue<string>(out var c) ? c : "";
            if (!ReadOnlyShell.IsReadOnly(command, out var why))
                return PermissionDecision.Denied($"this agent is read-only and this command may change files: {why}");
        }
        return null;
    }
}
