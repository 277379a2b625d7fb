using Orchestra.Core.Model;

namespace Orchestra.Core.Tests.Model;

public class TransitionTests
{
    [Theory]
    [InlineData(StepStatus.Pending, StepStatus.Ready)]
    [InlineData(StepStatus.Ready, StepStatus.Running)]
    [InlineData(StepStatus.Running, StepStatus.Succeeded)]
    [InlineData(StepStatus.Running, StepStatus.Ready)]
    [InlineData(StepStatus.Running, StepStatus.TimedOut)]
    [InlineData(StepStatus.Failed, StepStatus.Ready)]
    [InlineData(StepStatus.Pending, StepStatus.Skipped)]
    public void Step_LegalTransitions_AreAllowed(StepStatus from, StepStatus to) =>
        Assert.Equal(to, Transitions.Ensure("s", from, to));

    [Theory]
    [InlineData(StepStatus.Succeeded, StepStatus.Running)]
    [InlineData(StepStatus.Pending, StepStatus.Running)]
    [InlineData(StepStatus.Succeeded, StepStatus.Failed)]
    [InlineData(StepStatus.Skipped, StepStatus.Succeeded)]
    [InlineData(StepStatus.Ready, StepStatus.Succeeded)]
    public void Step_IllegalTransition_ThrowsTypedError(StepStatus from, StepStatus to)
    {
        var ex = Assert.Throws<InvalidTransitionException>(() => Transitions.Ensure("s1", from, to));
        Assert.Equal(from.ToWire(), ex.From);
        Assert.Equal(to.ToWire(), ex.To);
        Assert.Contains("s1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CompletedRunCannotBePaused() =>
        Assert.Throws<InvalidTransitionException>(() => Transitions.Ensure("r", RunStatus.Completed, RunStatus.Paused));

    [Fact]
    public void Run_FinishedRunMayBeReopenedByNewWork() =>
        Assert.Equal(RunStatus.Running, Transitions.Ensure("r", RunStatus.Failed, RunStatus.Running));

    [Fact]
    public void WireNames_RoundTripForEveryStatus()
    {
        foreach (var s in Enum.GetValues<StepStatus>())
        {
            Assert.True(Statuses.TryParseStep(s.ToWire(), out var parsed));
            Assert.Equal(s, parsed);
            Assert.Equal(s.ToWire(), s.ToWire().ToLowerInvariant());
        }
        foreach (var s in Enum.GetValues<RunStatus>())
        {
            Assert.True(Statuses.TryParseRun(s.ToWire(), out var parsed));
            Assert.Equal(s, parsed);
        }
        Assert.Equal("timed_out", StepStatus.TimedOut.ToWire());
        Assert.False(Statuses.TryParseStep("done", out _));
    }
}
