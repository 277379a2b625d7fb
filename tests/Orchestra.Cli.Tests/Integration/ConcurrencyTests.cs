using Orchestra.Core.Model;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>Several orchestra processes on one store share the work without running anything twice.</summary>
public sealed class ConcurrencyTests : IntegrationTest
{
    [Fact]
    public async Task TwoRunsOnOneWorkspace_CooperateAndNothingRunsTwice()
    {
        const int Tasks = 300;
        Init();
        ScriptedAgent("quick", "10ms");
        Cli.WriteFile("plan.yaml", IndependentPlan(Tasks, "quick"));
        Ok("submit", "plan.yaml");

        using var first = Cli.Start("run", "--until-idle", "--parallel", "4", "--quiet");
        using var second = Cli.Start("run", "--until-idle", "--parallel", "4", "--quiet");
        var a = first.WaitForExit(Patience);
        var b = second.WaitForExit(Patience);
        Assert.True(a.ExitCode == 0, first.Output);
        Assert.True(b.ExitCode == 0, second.Output);

        var view = await StoreView.ReadAsync(Cli);
        Assert.Equal(Tasks, view.Steps.Count);
        var started = view.Count(EventTypes.StepStarted);
        var finished = view.Count(EventTypes.StepFinished);
        Assert.All(view.Steps, s =>
        {
            Assert.Equal(StepStatus.Succeeded, s.Status);
            Assert.Equal(1, s.Attempt);
            Assert.Equal(1, started.GetValueOrDefault(s.Id));
            Assert.Equal(1, finished.GetValueOrDefault(s.Id));
        });
    }
}
