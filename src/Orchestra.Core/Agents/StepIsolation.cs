using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Agents;

/// <summary>Where a step works.</summary>
public enum StepIsolation
{
    /// <summary>In the engine's work directory, shared with every other step (the default).</summary>
    None,
    /// <summary>In a directory of its own, on a branch of its own: a git worktree.</summary>
    Worktree,
}

/// <summary>Reads a step's isolation from its input and its agent.</summary>
public static class Isolation
{
    /// <summary>The key of <see cref="StepRecord.Input"/> that chooses the isolation of one step: <c>"isolation": "worktree"</c>.</summary>
    public const string InputKey = "isolation";

    /// <summary>The names users write, by value.</summary>
    public static string Name(StepIsolation isolation) => isolation == StepIsolation.Worktree ? "worktree" : "none";

    /// <summary>Parses <c>none</c> or <c>worktree</c>.</summary>
    public static bool TryParse(string? text, out StepIsolation isolation)
    {
        isolation = text switch
        {
            "worktree" => StepIsolation.Worktree,
            "none" => StepIsolation.None,
            _ => (StepIsolation)(-1),
        };
        return isolation is StepIsolation.None or StepIsolation.Worktree;
    }

    /// <summary>
    /// The isolation a step runs with: its input's <c>isolation</c> when it names one, else its agent's.
    /// </summary>
    /// <exception cref="OrchestraException">The input names an isolation that does not exist.</exception>
    public static StepIsolation For(StepRecord step, Agent agent)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(agent);
        if (step.Input?[InputKey] is not { } node)
            return agent.Isolation;
        var text = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
        return TryParse(text, out var isolation)
            ? isolation
            : throw new OrchestraException($"unknown isolation '{text}' in the step's input: use 'worktree' or 'none'.");
    }
}
