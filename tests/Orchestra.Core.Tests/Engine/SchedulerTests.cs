using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Tests.Engine;

public class SchedulerTests
{
    private static StepRecord Step(string id, string agent, int priority, long seq, string run = "r1") =>
        new() { Id = id, RunId = run, Name = id, Agent = agent, Priority = priority, Seq = seq, Status = StepStatus.Ready };

    [Fact]
    public void Select_OrdersByPriorityThenFifo()
    {
        var candidates = new[] { Step("a", "x", 0, 1), Step("b", "x", 5, 2), Step("c", "x", 5, 3), Step("d", "x", 0, 4) };
        var chosen = Scheduler.Select(candidates, new RunningCounts(), 10, new SchedulingLimits());
        Assert.Equal(["b", "c", "a", "d"], chosen.Select(s => s.Id));
    }

    [Fact]
    public void Select_NeverExceedsTheFreeSlots() =>
        Assert.Equal(2, Scheduler.Select([Step("a", "x", 0, 1), Step("b", "x", 0, 2), Step("c", "x", 0, 3)], new RunningCounts(), 2, new SchedulingLimits()).Count);

    [Fact]
    public void Select_RespectsTheGlobalLimitCountingRunningSteps()
    {
        var chosen = Scheduler.Select([Step("a", "x", 0, 1), Step("b", "x", 0, 2)], new RunningCounts { Total = 3 }, 8, new SchedulingLimits { Global = 4 });
        Assert.Equal(["a"], chosen.Select(s => s.Id));
    }

    [Fact]
    public void Select_PerAgentLimitSkipsToOtherAgents()
    {
        var candidates = new[] { Step("a", "busy", 9, 1), Step("b", "busy", 9, 2), Step("c", "free", 0, 3) };
        var running = new RunningCounts { Total = 1, ByAgent = new Dictionary<string, int> { ["busy"] = 1 } };
        var chosen = Scheduler.Select(candidates, running, 8, new SchedulingLimits { PerAgent = a => a == "busy" ? 2 : null });
        Assert.Equal(["a", "c"], chosen.Select(s => s.Id));
    }

    [Fact]
    public void Select_PerRunLimitHoldsAcrossOneBatch()
    {
        var candidates = new[] { Step("a", "x", 0, 1, "r1"), Step("b", "x", 0, 2, "r1"), Step("c", "x", 0, 3, "r2") };
        var chosen = Scheduler.Select(candidates, new RunningCounts(), 8, new SchedulingLimits { PerRun = r => r == "r1" ? 1 : null });
        Assert.Equal(["a", "c"], chosen.Select(s => s.Id));
    }
}
