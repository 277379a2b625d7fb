using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests;

public sealed class PathsAndHelpersTests
{
    [Fact]
    public void PathsFollowTheLayout()
    {
        var paths = new OrchestraPaths("/work/project");
        var id = Ids.NewStepId(TimeProvider.System);

        Assert.Equal("/work/project/.orchestra", paths.StateDir);
        Assert.Equal("/work/project/.orchestra/logs", paths.LogsDir);
        Assert.Equal("/work/project/.orchestra/steps", paths.StepsDir);
        Assert.Equal("/work/project/.orchestra/plans", paths.PlansDir);
        Assert.Equal($"/work/project/.orchestra/logs/{id}.log", paths.LogFile(id));
        Assert.Equal($"/work/project/.orchestra/steps/{id}.done", paths.DoneFile(id));
        Assert.Equal($"/work/project/.orchestra/steps/{id}.error", paths.ErrorFile(id));
        Assert.Equal($"/work/project/.orchestra/steps/{id}.cancelled", paths.CancelledFile(id));
        Assert.Equal($"/work/project/.orchestra/steps/{id}.timeout", paths.TimeoutFile(id));
        Assert.Equal($"/work/project/.orchestra/plans/{id}.md", paths.PlanFile(id));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("s0123456789a/")]
    [InlineData("s..")]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("S0123456789AB")]
    public void HostileStepIdsAreRefused(string id)
    {
        var paths = new OrchestraPaths("/work/project");

        Assert.Throws<ArgumentException>(() => paths.LogFile(id));
        Assert.Throws<ArgumentException>(() => paths.DoneFile(id));
        Assert.Throws<ArgumentException>(() => paths.ErrorFile(id));
        Assert.Throws<ArgumentException>(() => paths.CancelledFile(id));
        Assert.Throws<ArgumentException>(() => paths.TimeoutFile(id));
        Assert.Throws<ArgumentException>(() => paths.PlanFile(id));
    }

    [Fact]
    public void EmptyRootIsRefused() => Assert.Throws<ArgumentException>(() => new OrchestraPaths(" "));

    [Fact]
    public void PlaceholdersAreSubstitutedInOnePass()
    {
        var values = new Dictionary<string, string> { ["a"] = "{b}", ["b"] = "x" };

        Assert.Equal("{b}x{c} {", Placeholders.Substitute("{a}{b}{c} {", values));
        Assert.Equal("{{b}}", Placeholders.Substitute("{{a}}", values));
        Assert.Equal("no braces", Placeholders.Substitute("no braces", values));
    }

    [Fact]
    public void StatParsingCopesWithParenthesesInTheCommandName()
    {
        var text = "4242 (evil) Z 1 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 200 18446744073709551615\n";

        var stat = ProcessProbe.Parse(4242, text);

        Assert.Equal(new ProcessStat(4242, 'S', 4242, 4242, 987654) { ParentPid = 1 }, stat);
        Assert.Null(ProcessProbe.Parse(1, "garbage"));
    }

    [Fact]
    public void ThisProcessIsAliveOnlyWithItsOwnStartTime()
    {
        var pid = Environment.ProcessId;
        var start = ProcessProbe.StartTime(pid);

        Assert.NotNull(start);
        Assert.True(ProcessProbe.IsAlive(pid, start.Value));
        Assert.False(ProcessProbe.IsAlive(pid, start.Value + 1));
        Assert.False(ProcessProbe.IsAlive(0, 0));
        Assert.False(ProcessProbe.IsAlive(-1, 0));
    }

    [Fact]
    public void WorkingDirectoryResolution()
    {
        var root = Path.Combine(Path.GetTempPath(), "orchestra-cwd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "a", "b"));
        try
        {
            Assert.Equal(root, CliAgent.ResolveWorkingDirectory(root, null));
            Assert.Equal(root, CliAgent.ResolveWorkingDirectory(root, "."));
            Assert.Equal(Path.Combine(root, "a", "b"), CliAgent.ResolveWorkingDirectory(root, "a/b/"));
            Assert.Equal(Path.Combine(root, "a"), CliAgent.ResolveWorkingDirectory(root, "a/b/.."));
            Assert.Equal(Path.Combine(root, "a"), CliAgent.ResolveWorkingDirectory(root, Path.Combine(root, "a")));
            Assert.Throws<ArgumentException>(() => CliAgent.ResolveWorkingDirectory(root, ".."));
            Assert.Throws<ArgumentException>(() => CliAgent.ResolveWorkingDirectory(root, root + "-sibling"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
