using System.Diagnostics;
using Orchestra.Core.Model;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>A worker asked to stop hands its in-process work back instead of losing it.</summary>
public sealed class ShutdownTests : IntegrationTest
{
    [Fact]
    public async Task Worker_OnSigterm_HandsInProcessStepsBackWithoutSpendingAnAttempt()
    {
        Init();
        ScriptedAgent("slow", "1h");
        var id = Ok("start", "slow", "x").Out.Trim();

        using var worker = Cli.Start("worker", "--quiet");
        await Poll.UntilAsync(async () =>
        {
            await using var store = StoreView.Open(Cli);
            return (await StoreView.StepAsync(store, id)).Status == StepStatus.Running;
        }, Patience, () => $"step {id} never started: {worker.Output}");

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", worker.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
            kill.WaitForExit();
        var exit = worker.WaitForExit(Patience);

        Assert.Equal(143, exit.ExitCode);
        await using var after = StoreView.Open(Cli);
        var step = await StoreView.StepAsync(after, id);
        Assert.Equal(StepStatus.Ready, step.Status);
        Assert.Null(step.LeaseOwner);
        Assert.Equal(1, step.Attempt);
        Assert.Equal(2, step.MaxAttempts);
    }
}
