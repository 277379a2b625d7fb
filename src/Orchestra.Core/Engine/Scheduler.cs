using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

/// <summary>Limits on how many steps run at once.</summary>
public sealed record SchedulingLimits
{
    /// <summary>Most running steps across all workers sharing the store, or null for no limit.</summary>
    public int? Global { get; init; }

    /// <summary>Most running steps of one agent, or null for no limit.</summary>
    public Func<string, int?> PerAgent { get; init; } = _ => null;

    /// <summary>Most running steps of one run, or null for no limit.</summary>
    public Func<string, int?> PerRun { get; init; } = _ => null;
}

/// <summary>Chooses which ready steps to start: highest priority first, then first-in first-out, within the limits.</summary>
public static class Scheduler
{
    /// <summary>
    /// Picks up to <paramref name="slots"/> steps from <paramref name="candidates"/> (already in claim order)
    /// without exceeding any limit, counting the steps already <paramref name="running"/>.
    /// </summary>
    public static List<StepRecord> Select(IReadOnlyList<StepRecord> candidates, RunningCounts running, int slots, SchedulingLimits limits)
    {
        var chosen = new List<StepRecord>(Math.Min(slots, candidates.Count));
        if (slots <= 0)
            return chosen;
        var total = running.Total;
        Dictionary<string, int>? byAgent = null;
        Dictionary<string, int>? byRun = null;
        foreach (var step in candidates.OrderByDescending(s => s.Priority).ThenBy(s => s.Seq))
        {
            if (chosen.Count >= slots || (limits.Global is { } g && total >= g))
                break;
            if (limits.PerAgent(step.Agent) is { } agentLimit)
            {
                byAgent ??= new(running.ByAgent, StringComparer.Ordinal);
                if (byAgent.GetValueOrDefault(step.Agent) >= agentLimit)
                    continue;
                byAgent[step.Agent] = byAgent.GetValueOrDefault(step.Agent) + 1;
            }
            if (limits.PerRun(step.RunId) is { } runLimit)
            {
                byRun ??= new(running.ByRun, StringComparer.Ordinal);
                if (byRun.GetValueOrDefault(step.RunId) >= runLimit)
                {
                    if (limits.PerAgent(step.Agent) is not null)
                        byAgent![step.Agent]--;
                    continue;
                }
                byRun[step.RunId] = byRun.GetValueOrDefault(step.RunId) + 1;
            }
            chosen.Add(step);
            total++;
        }
        return chosen;
    }
}
