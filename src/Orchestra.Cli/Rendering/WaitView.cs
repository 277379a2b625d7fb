using Orchestra.Core.Engine;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Rendering;

/// <summary>Plain-text views of steps that wait for a person, for attach, status and run.</summary>
internal static class WaitView
{
    /// <summary>What a wait asks for, in a few words.</summary>
    public static string Asks(HumanWait w) => w.Kind switch
    {
        HumanWaitKind.Approval => "waits for approval of its result",
        HumanWaitKind.Start => "waits for approval to start",
        _ => $"waits for your message (turn {w.Turns})",
    };

    /// <summary>The run's waiting steps, each with the agent's last reply in full.</summary>
    public static void Write(TextWriter output, RunRecord run, IReadOnlyList<HumanWait> waits)
    {
        output.WriteLine($"run {run.Id} {run.Name}: waiting for a person");
        foreach (var w in waits)
        {
            output.WriteLine($"  {w.Step.Id} {w.Step.Name} ({w.Step.Agent}) {Asks(w)}");
            if (w.Reply is { Length: > 0 } reply)
            {
                foreach (var line in reply.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
                    output.WriteLine($"    │ {line}");
            }
        }
    }

    /// <summary>One line per waiting step and how to continue, under a status table or after a run.</summary>
    public static void Hint(TextWriter output, string runId, IReadOnlyList<HumanWait> waits)
    {
        if (waits.Count == 0)
            return;
        foreach (var w in waits)
            output.WriteLine($"⏸ {w.Step.Id} {w.Step.Name} {Asks(w)}");
        output.WriteLine(waits.All(w => w.Kind == HumanWaitKind.Message)
            ? $"run {runId} waits for a person: continue with 'orchestra attach {runId}'"
            : $"run {runId} waits for a person: continue with 'orchestra attach {runId}' (or 'orchestra approve|reject {runId}')");
    }
}
