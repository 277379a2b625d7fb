namespace Orchestra.Cli.Tests;

public sealed class BadInputTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private void Init() => Assert.Equal(0, _cli.Run("init").ExitCode);

    private static void AssertError(CliResult r, params string[] expected)
    {
        Assert.Equal(2, r.ExitCode);
        foreach (var e in expected)
            Assert.Contains(e, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    private void AssertNothingQueued()
    {
        var status = _cli.Run("status", "--json");
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("[]", status.Out.Trim());
    }

    [Fact]
    public void MissingWorkspace_SaysToRunInit() =>
        AssertError(_cli.Run("status"), "run 'orchestra init' first");

    [Fact]
    public void UnknownAgent_ListsTheKnownOnes()
    {
        Init();
        AssertError(_cli.Run("start", "codr", "x"), "Unknown agent 'codr'. Known agents: coder, echo, reviewer.");
        AssertNothingQueued();
    }

    [Fact]
    public void BadDuration_NamesTheOption()
    {
        Init();
        AssertError(_cli.Run("start", "coder", "x", "--timeout", "soon"), "'soon' is not a duration for --timeout");
        AssertNothingQueued();
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("s0123/../../x")]
    [InlineData("x")]
    public void BadIds_AreRefusedBeforeAnyPathIsBuilt(string id)
    {
        Init();
        AssertError(_cli.Run("logs", id), "is not a step or run id");
    }

    [Fact]
    public void UnknownId_SaysWhereToLook()
    {
        Init();
        AssertError(_cli.Run("status", "s000000000000"), "No step s000000000000");
    }

    [Fact]
    public void MalformedPlanYaml_GivesFileLineAndColumn()
    {
        Init();
        _cli.WriteFile("plan.yaml", "tasks:\n  - id: a\n    agent: coder\n    prompt: [unclosed\n");
        AssertError(_cli.Run("submit", "plan.yaml"), "plan.yaml:", "invalid YAML");
        AssertNothingQueued();
    }

    [Fact]
    public void PlanCycle_IsNamedAndNothingIsQueued()
    {
        Init();
        _cli.WriteFile("plan.yaml", """
            tasks:
              - { id: a, agent: coder, prompt: x, depends_on: [c] }
              - { id: b, agent: coder, prompt: x, depends_on: [a] }
              - { id: c, agent: coder, prompt: x, depends_on: [b] }
            """);
        AssertError(_cli.Run("submit", "plan.yaml"), "dependency cycle: a → c → b → a");
        AssertNothingQueued();
    }

    [Fact]
    public void PlanWithUnknownAgentDuplicateOrUnknownIds_IsRefusedWithPositions()
    {
        Init();
        _cli.WriteFile("p1.yaml", "tasks:\n  - { id: a, agent: ghost, prompt: x }\n");
        AssertError(_cli.Run("submit", "p1.yaml"), "p1.yaml:2:", "Unknown agent 'ghost'");
        _cli.WriteFile("p2.yaml", "tasks:\n  - { id: a, agent: coder, prompt: x }\n  - { id: a, agent: coder, prompt: y }\n");
        AssertError(_cli.Run("submit", "p2.yaml"), "p2.yaml:3:", "task id 'a' is used twice");
        _cli.WriteFile("p3.yaml", "tasks:\n  - { id: a, agent: coder, prompt: x, depends_on: [zzz] }\n");
        AssertError(_cli.Run("submit", "p3.yaml"), "p3.yaml:2:", "unknown task 'zzz'");
        _cli.WriteFile("p4.yaml", "tasks:\n  - { id: a, agent: coder, prompt: x, retries: 3 }\n");
        AssertError(_cli.Run("submit", "p4.yaml"), "p4.yaml:2:", "unknown key 'retries'");
        AssertNothingQueued();
    }

    [Fact]
    public void InvalidAgentFile_IsReportedWithItsPosition()
    {
        Init();
        _cli.WriteFile(".orchestra/agents/bad.yaml", "kind: scripted\nresponses:\n  - delay: forever\n");
        AssertError(_cli.Run("start", "bad", "x"), "bad.yaml:3:", "'forever' is not a duration");
    }

    [Fact]
    public void UnknownCommandOrMissingArgument_IsAUsageError()
    {
        var r = _cli.Run("strat");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("orchestra --help", r.Err, StringComparison.Ordinal);
        Init();
        var missing = _cli.Run("start", "coder");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("orchestra start --help", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void HugePrompt_IsRefused()
    {
        Init();
        AssertError(_cli.RunWithInput(new string('x', 2 * 1024 * 1024), "start", "coder", "-"), "larger than 1024 KiB");
        AssertNothingQueued();
    }

    [Fact]
    public void AgentFileBrokenAfterItWasChecked_IsCheckedAgain()
    {
        Init();
        Assert.Equal(0, _cli.Run("start", "coder", "x").ExitCode);
        _cli.WriteFile(".orchestra/agents/coder.yaml", "kind: scripted\nresponses:\n  - delay: whenever\n");
        AssertError(_cli.Run("start", "coder", "y"), "coder.yaml:3:", "'whenever' is not a duration");
    }

    [Fact]
    public void ConfigChangedAfterItWasChecked_IsReadAgain()
    {
        Init();
        Assert.Equal(0, _cli.Run("start", "coder", "x").ExitCode);
        _cli.WriteFile(".orchestra/config.yaml", "max_attempts: 4\n");
        var id = _cli.Run("start", "coder", "y").Out.Trim();
        var step = _cli.Run("status", id, "--json").Json();
        Assert.Equal(4, step["max_attempts"]!.GetValue<int>());
        _cli.WriteFile(".orchestra/config.yaml", "max_attempts: 0\n");
        AssertError(_cli.Run("start", "coder", "z"), "config.yaml:1:", "max_attempts must be at least 1");
    }
}
