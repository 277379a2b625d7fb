using Orchestra.Core.Model;

namespace Orchestra.Agents;

/// <summary>
/// The layout of a workspace's <c>.orchestra/</c> directory as agents see it: logs, sentinel files and plans.
/// Every path built from a step id checks the id first with <see cref="Ids.IsValid"/>, so that no path can be
/// built from a hostile one.
/// </summary>
/// <param name="Root">The workspace root, the directory that holds <c>.orchestra/</c>.</param>
public sealed record OrchestraPaths(string Root)
{
    /// <summary>The workspace root, as a full path.</summary>
    public string Root { get; init; } = string.IsNullOrWhiteSpace(Root)
        ? throw new ArgumentException("the workspace root must not be empty", nameof(Root))
        : Path.GetFullPath(Root);

    /// <summary><c>.orchestra/</c>.</summary>
    public string StateDir => Path.Combine(Root, ".orchestra");

    /// <summary><c>.orchestra/logs/</c>: one log per step, appended to by every attempt.</summary>
    public string LogsDir => Path.Combine(StateDir, "logs");

    /// <summary><c>.orchestra/steps/</c>: the sentinel files of steps.</summary>
    public string StepsDir => Path.Combine(StateDir, "steps");

    /// <summary><c>.orchestra/plans/</c>: the plans agents keep while they work.</summary>
    public string PlansDir => Path.Combine(StateDir, "plans");

    /// <summary><c>.orchestra/logs/&lt;step&gt;.log</c>: the step's standard output and error.</summary>
    public string LogFile(string stepId) => Path.Combine(LogsDir, Checked(stepId) + ".log");

    /// <summary><c>.orchestra/steps/&lt;step&gt;.done</c>: written by the agent when it succeeded.</summary>
    public string DoneFile(string stepId) => Path.Combine(StepsDir, Checked(stepId) + ".done");

    /// <summary><c>.orchestra/steps/&lt;step&gt;.error</c>: written by the agent when it failed (JSON <c>{"error": "...", "transient": false}</c>).</summary>
    public string ErrorFile(string stepId) => Path.Combine(StepsDir, Checked(stepId) + ".error");

    /// <summary><c>.orchestra/steps/&lt;step&gt;.cancelled</c>: written by the orchestrator when it stopped the step.</summary>
    public string CancelledFile(string stepId) => Path.Combine(StepsDir, Checked(stepId) + ".cancelled");

    /// <summary><c>.orchestra/steps/&lt;step&gt;.timeout</c>: written by the orchestrator when the step ran past its deadline.</summary>
    public string TimeoutFile(string stepId) => Path.Combine(StepsDir, Checked(stepId) + ".timeout");

    /// <summary>
    /// <c>.orchestra/steps/&lt;step&gt;.handle</c>: written by the orchestrator as soon as it has started the step's process
    /// (the process handle and the attempt), so that the process is found even if the orchestrator dies before the store
    /// records the handle.
    /// </summary>
    public string HandleFile(string stepId) => Path.Combine(StepsDir, Checked(stepId) + ".handle");

    /// <summary><c>.orchestra/claude/</c>: the Claude Code configuration directories of steps.</summary>
    public string ClaudeDir => Path.Combine(StateDir, "claude");

    /// <summary><c>.orchestra/claude/&lt;step&gt;/</c>: the <c>CLAUDE_CONFIG_DIR</c> of a <c>claude-code</c> step (its settings and session transcripts).</summary>
    public string ClaudeConfigDir(string stepId) => Path.Combine(ClaudeDir, Checked(stepId));

    /// <summary><c>.orchestra/plans/&lt;step&gt;.md</c>: the agent's plan for the step.</summary>
    public string PlanFile(string stepId) => Path.Combine(PlansDir, Checked(stepId) + ".md");

    private static string Checked(string stepId) => Ids.IsValid(stepId)
        ? stepId
        : throw new ArgumentException($"'{stepId}' is not a valid step id", nameof(stepId));
}
