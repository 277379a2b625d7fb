using System.Diagnostics;

namespace Orchestra.Cli.Tests;

/// <summary>Steps in their own git worktrees, through the real command: start --worktree, run, diff, merge, cleanup.</summary>
public sealed class GitCliTests : IDisposable
{
    private static readonly string EmptyConfig = CreateEmptyConfig();
    private readonly CliHarness _cli = new();

    public GitCliTests()
    {
        // Git in these tests, Orchestra's included, sees neither the machine's nor the user's configuration.
        _cli.Environment["GIT_CONFIG_GLOBAL"] = EmptyConfig;
        _cli.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
    }

    public void Dispose() => _cli.Dispose();

    private static string CreateEmptyConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestra-cli-git-{Environment.ProcessId}.gitconfig");
        File.WriteAllText(path, "");
        return path;
    }

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private static void AssertOneLineError(CliResult r, params string[] expected)
    {
        Assert.Equal(2, r.ExitCode);
        foreach (var e in expected)
            Assert.Contains(e, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    private (int ExitCode, string Out) Git(params string[] args) => TestGit.Run(_cli, args);

    private string GitOk(params string[] args)
    {
        var (code, output) = Git(args);
        Assert.True(code == 0, $"git {string.Join(' ', args)} exited {code}");
        return output;
    }

    /// <summary>A repository with a workspace and a <c>cli</c> agent whose script writes its prompt into out.txt, all committed.</summary>
    private void InitRepository(string? isolation = null)
    {
        GitOk("init", "--quiet", "--initial-branch=main");
        Ok("init");
        _cli.WriteFile(".orchestra/agents/writer.yaml", $$"""
            kind: cli
            description: writes its prompt into out.txt
            {{(isolation is null ? "" : "isolation: " + isolation)}}
            command: ["sh", "-c", "printf '%s\\n' \"$1\" > out.txt", "writer", "{prompt}"]
            """);
        GitOk("add", "-A");
        GitOk("commit", "--quiet", "-m", "workspace");
    }

    private string RunOf(string step)
    {
        var steps = Ok("status", "--all", "--json").Json().AsArray();
        return (string)steps.Single(s => (string?)s!["id"] == step)!["run"]!;
    }

    [Fact]
    public void StartWithWorktree_CommitsTheAgentsFileOnTheStepBranch_AndMergeBringsItIntoTheSession()
    {
        InitRepository();
        var step = Ok("start", "writer", "hello from the step", "--worktree").Out.Trim();
        Ok("run", "--until-idle");
        var run = RunOf(step);

        Assert.Equal("hello from the step", GitOk("show", $"orchestra/{run}-{step}:out.txt"));
        Assert.Equal($"orchestra: writer (writer) [run {run}, step {step}]", GitOk("log", "-1", "--format=%s", $"orchestra/{run}-{step}"));
        Assert.Equal("Orchestra <orchestra@localhost>", GitOk("log", "-1", "--format=%an <%ae>", $"orchestra/{run}-{step}"));
        Assert.False(File.Exists(Path.Combine(_cli.Root, "out.txt")));
        Assert.Equal("", GitOk("status", "--porcelain"));
        Assert.True(File.Exists(Path.Combine(_cli.StateDir, "worktrees", run, step, "out.txt")));
        var logs = _cli.Run("logs", step);
        Assert.Contains("step.snapshot", logs.Err, StringComparison.Ordinal);
        Assert.Contains(GitOk("rev-parse", $"orchestra/{run}-{step}"), logs.Err, StringComparison.Ordinal);

        var diff = Ok("diff", step).Out;
        Assert.Contains("+++ b/out.txt", diff, StringComparison.Ordinal);
        Assert.Contains("+hello from the step", diff, StringComparison.Ordinal);
        Assert.Contains("1 file changed", Ok("diff", step, "--stat").Out, StringComparison.Ordinal);

        Assert.Contains($"merged {step} (writer) into orchestra/{run}", Ok("merge", step).Out, StringComparison.Ordinal);
        Assert.Equal("hello from the step", GitOk("show", $"orchestra/{run}:out.txt"));
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", run, step)));
        Assert.Contains("already in", Ok("merge", run).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void AgentIsolationInYaml_IsolatesPlanSteps_AndAConflictingPairIsReportedWithNothingLost()
    {
        InitRepository(isolation: "worktree");
        _cli.WriteFile("plan.yaml", """
            tasks:
              - { id: first, agent: writer, prompt: "version one" }
              - { id: second, agent: writer, prompt: "version two" }
            """);
        GitOk("add", "plan.yaml");
        GitOk("commit", "--quiet", "-m", "plan");
        var submitted = Ok("submit", "plan.yaml", "--json").Json();
        var run = (string)submitted["id"]!;
        var second = (string)submitted["steps"]!.AsArray().Single(s => (string?)s!["name"] == "second")!["id"]!;
        Ok("run", "--until-idle");
        var secondTip = GitOk("rev-parse", $"orchestra/{run}-{second}");

        var merge = _cli.Run("merge", run);

        AssertOneLineError(merge, "merge conflict", $"{second} (second) conflicts with orchestra/{run} in out.txt", "Nothing was lost");
        Assert.Contains("merged", merge.Out, StringComparison.Ordinal);
        Assert.Equal("version one", GitOk("show", $"orchestra/{run}:out.txt"));
        Assert.Equal(secondTip, GitOk("rev-parse", $"orchestra/{run}-{second}"));
        Assert.Equal("version two\n", File.ReadAllText(Path.Combine(_cli.StateDir, "worktrees", run, second, "out.txt")));
        Assert.Equal("", GitOk("status", "--porcelain"));
    }

    [Fact]
    public void DirtyWorkingTree_IsRefusedAtStart_NamingTheFiles()
    {
        InitRepository();
        _cli.WriteFile("notes.txt", "not committed");
        AssertOneLineError(_cli.Run("start", "writer", "x", "--worktree"), "has uncommitted changes (notes.txt)", "commit or stash them first");
        Assert.Equal("[]", Ok("status", "--json").Out.Trim());
    }

    [Fact]
    public void NotARepository_IsRefusedAtStart()
    {
        Ok("init");
        AssertOneLineError(_cli.Run("start", "coder", "x", "--worktree"), "is not in a git repository", "git init");
        AssertNothingWritten();
    }

    [Fact]
    public void ABranchInTheWay_IsRefusedAtStart()
    {
        InitRepository();
        GitOk("branch", "orchestra");
        AssertOneLineError(_cli.Run("start", "writer", "x", "--worktree"), "a branch named 'orchestra' already exists", "git branch -m orchestra");
        AssertNothingWritten();
    }

    [Fact]
    public void GitNotInstalled_IsRefusedAtStart()
    {
        InitRepository();
        _cli.Environment["PATH"] = Path.Combine(_cli.Root, "no-bin");
        AssertOneLineError(_cli.Run("start", "writer", "x", "--worktree"), "git is not installed", "install git");
        _cli.Environment.Remove("PATH");
        AssertNothingWritten();
    }

    /// <summary>Nothing was queued and git holds no branch or worktree of Orchestra's.</summary>
    private void AssertNothingWritten()
    {
        Assert.Equal("[]", Ok("status", "--all", "--json").Out.Trim());
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees")) && Directory.EnumerateFileSystemEntries(Path.Combine(_cli.StateDir, "worktrees")).Any());
        if (Directory.Exists(Path.Combine(_cli.Root, ".git")))
            Assert.Equal("", GitOk("branch", "--list", "orchestra/*"));
    }

    [Fact]
    public void AnAgentIsolatedInYaml_IsCheckedAtStart_WithoutTheFlag()
    {
        InitRepository(isolation: "worktree");
        _cli.WriteFile("notes.txt", "not committed");

        AssertOneLineError(_cli.Run("start", "writer", "x"), "has uncommitted changes (notes.txt)", "commit or stash them first");
        AssertNothingWritten();
    }

    [Fact]
    public void AnAgentIsolatedInYaml_IsCheckedAtStart_WhenTheDefinitionsCacheHoldsAnEntryWithoutItsIsolation()
    {
        InitRepository(isolation: "worktree");
        // A cache written before the isolation was cached with the agent: it must not read as "not isolated".
        var agent = new FileInfo(Path.Combine(_cli.StateDir, "agents", "writer.yaml"));
        _cli.WriteFile(".orchestra/cache/checked.tsv", string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"agent:writer\t{agent.Length}\t{agent.LastWriteTimeUtc.Ticks}\t\n"));
        _cli.WriteFile("notes.txt", "not committed");

        AssertOneLineError(_cli.Run("start", "writer", "x"), "has uncommitted changes (notes.txt)");
        AssertOneLineError(_cli.Run("start", "writer", "x"), "has uncommitted changes (notes.txt)");
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("dirty", "has uncommitted changes (notes.txt)", "commit or stash them first")]
    [InlineData("branch", "a branch named 'orchestra' already exists", "git branch -m orchestra")]
    [InlineData("no-git", "git is not installed", "install git")]
    [InlineData("not-a-repository", "is not in a git repository", "git init")]
    public void SubmitOfAPlanWithIsolatedTasks_IsRefusedInOneLine_BeforeAnythingIsQueued(string problem, string message, string fix)
    {
        _cli.WriteFile("plan.yaml", """
            tasks:
              - { id: first, agent: writer, prompt: "version one" }
              - { id: second, agent: writer, prompt: "version two", depends_on: [first] }
            """);
        if (problem == "not-a-repository")
        {
            Ok("init");
            _cli.WriteFile(".orchestra/agents/writer.yaml", "kind: cli\nisolation: worktree\ncommand: [\"true\"]\n");
        }
        else
        {
            InitRepository(isolation: "worktree");
        }
        switch (problem)
        {
            case "dirty":
                _cli.WriteFile("notes.txt", "not committed");
                break;
            case "branch":
                GitOk("branch", "orchestra");
                break;
            case "no-git":
                _cli.Environment["PATH"] = Path.Combine(_cli.Root, "no-bin");
                break;
        }

        AssertOneLineError(_cli.Run("submit", "plan.yaml"), message, fix);
        if (problem == "no-git")
            _cli.Environment.Remove("PATH");
        AssertNothingWritten();
    }

    [Fact]
    public void APlanWithoutIsolatedTasks_NeedsNoRepository()
    {
        Ok("init");
        _cli.WriteFile("plan.yaml", "tasks:\n  - { id: only, agent: coder, prompt: hi }\n");

        Ok("submit", "plan.yaml");
    }

    /// <summary>The step's status and error after a run that failed it.</summary>
    private (string Status, string Error) Failed(string step)
    {
        var json = Ok("status", step, "--json").Json();
        return ((string)json["status"]!, (string?)json["error"] ?? "");
    }

    [Fact]
    public void ATreeDirtiedBeforeTheRun_FailsTheIsolatedStep_NamingTheFix_AndCreatesNoBranchOrWorktree()
    {
        InitRepository();
        var step = Ok("start", "writer", "x", "--worktree").Out.Trim();
        _cli.WriteFile("notes.txt", "not committed");

        Assert.Equal(1, _cli.Run("run", "--until-idle").ExitCode);

        var (status, error) = Failed(step);
        Assert.Equal("failed", status);
        Assert.Contains("has uncommitted changes (notes.txt)", error, StringComparison.Ordinal);
        Assert.Contains("commit or stash them first", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Equal("", GitOk("branch", "--list", "orchestra/*"));
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", RunOf(step), step)));
        Assert.Equal("not committed", File.ReadAllText(Path.Combine(_cli.Root, "notes.txt")));
    }

    [Fact]
    public void GitRemovedBeforeTheRun_FailsTheIsolatedStep_SayingToInstallIt()
    {
        InitRepository();
        var step = Ok("start", "writer", "x", "--worktree").Out.Trim();
        _cli.Environment["PATH"] = Path.Combine(_cli.Root, "no-bin");

        Assert.Equal(1, _cli.Run("run", "--until-idle").ExitCode);

        _cli.Environment.Remove("PATH");
        var (status, error) = Failed(step);
        Assert.Equal("failed", status);
        Assert.Contains("git is not installed", error, StringComparison.Ordinal);
        Assert.Contains("install git", error, StringComparison.Ordinal);
        Assert.Equal("", GitOk("branch", "--list", "orchestra/*"));
    }

    [Fact]
    public void ASessionBranchThatIsNotOrchestras_FailsTheStepAtRun_AndIsLeftAsItWas()
    {
        InitRepository();
        _cli.WriteFile("second.txt", "second");
        GitOk("add", "second.txt");
        GitOk("commit", "--quiet", "-m", "second");
        var step = Ok("start", "writer", "x", "--worktree").Out.Trim();
        var run = RunOf(step);
        var theirs = GitOk("rev-parse", "HEAD~1");
        GitOk("branch", $"orchestra/{run}", theirs);

        Assert.Equal(1, _cli.Run("run", "--until-idle").ExitCode);

        var (status, error) = Failed(step);
        Assert.Equal("failed", status);
        Assert.Contains($"branch orchestra/{run} already exists", error, StringComparison.Ordinal);
        Assert.Contains($"git branch -m orchestra/{run}", error, StringComparison.Ordinal);
        Assert.Equal(theirs, GitOk("rev-parse", $"orchestra/{run}"));
        Assert.Equal("", GitOk("branch", "--list", $"orchestra/{run}-*"));
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", run, step)));
    }

    [Fact]
    public void ARepositoryGoneBeforeTheRun_FailsTheIsolatedStep_NamingTheFix()
    {
        InitRepository();
        var step = Ok("start", "writer", "x", "--worktree").Out.Trim();
        Directory.Delete(Path.Combine(_cli.Root, ".git"), recursive: true);

        Assert.Equal(1, _cli.Run("run", "--until-idle").ExitCode);

        var (status, error) = Failed(step);
        Assert.Equal("failed", status);
        Assert.Contains("is not in a git repository", error, StringComparison.Ordinal);
        Assert.Contains("git init", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", RunOf(step), step)));
    }

    [Fact]
    public void AStepBranchThatAlreadyExists_FailsTheStepAtRun_AndIsLeftAsItWas()
    {
        InitRepository();
        var step = Ok("start", "writer", "x", "--worktree").Out.Trim();
        var run = RunOf(step);
        GitOk("branch", $"orchestra/{run}-{step}");
        var tip = GitOk("rev-parse", $"orchestra/{run}-{step}");

        Assert.Equal(1, _cli.Run("run", "--until-idle").ExitCode);

        var (status, error) = Failed(step);
        Assert.Equal("failed", status);
        Assert.Contains($"branch orchestra/{run}-{step} already exists", error, StringComparison.Ordinal);
        Assert.Contains($"git branch -D orchestra/{run}-{step}", error, StringComparison.Ordinal);
        Assert.Equal(tip, GitOk("rev-parse", $"orchestra/{run}-{step}"));
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", run, step)));
    }

    [Fact]
    public void MergeOfAStepWithoutAWorktree_SaysHowToGetOne()
    {
        InitRepository();
        var step = Ok("start", "writer", "x").Out.Trim();
        Ok("run", "--until-idle");
        AssertOneLineError(_cli.Run("merge", step), "has no worktree", "--worktree");
    }

    [Fact]
    public void FailedStep_KeepsItsWorktree_UntilCleanupRemovesIt()
    {
        InitRepository();
        _cli.WriteFile(".orchestra/agents/broken.yaml", """
            kind: cli
            command: ["sh", "-c", "echo partial > partial.txt; exit 3"]
            """);
        GitOk("add", "-A");
        GitOk("commit", "--quiet", "-m", "broken agent");
        var step = Ok("start", "broken", "x", "--worktree").Out.Trim();
        _cli.Run("run", "--until-idle");
        var run = RunOf(step);
        var folder = Path.Combine(_cli.StateDir, "worktrees", run, step);
        Assert.True(File.Exists(Path.Combine(folder, "partial.txt")));
        AssertOneLineError(_cli.Run("merge", step), $"step {step} is failed", "worktree is kept");

        Assert.Contains("1 runs would be cleaned up", Ok("cleanup", "--older-than", "0s", "--dry-run").Out, StringComparison.Ordinal);
        Assert.Contains("removed 0 worktrees and 0 branches", Ok("cleanup").Out, StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));
        var cleanup = Ok("cleanup", "--older-than", "0s").Out;

        Assert.Contains("removed 1 worktrees and 2 branches", cleanup, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
        Assert.DoesNotContain(step, GitOk("worktree", "list"), StringComparison.Ordinal);
        Assert.Equal("", GitOk("branch", "--list", "orchestra/*"));
    }

    [Fact]
    public void AnUnknownIsolation_InAgentYaml_IsNamedWithItsPosition()
    {
        InitRepository(isolation: "container");
        AssertOneLineError(_cli.Run("start", "writer", "x"), "writer.yaml:", "isolation must be 'worktree'");
    }

    [Fact]
    public void ACopyPathOutsideTheWorkspace_IsNamedWithItsPosition()
    {
        InitRepository();
        var config = Path.Combine(_cli.StateDir, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("copy: []", "copy: [\".env\", \"../secrets\"]", StringComparison.Ordinal));
        GitOk("commit", "--quiet", "-am", "config");
        AssertOneLineError(_cli.Run("start", "writer", "x", "--worktree"), "config.yaml:", "'../secrets' must be a path inside the workspace");
    }

    [Fact]
    public void ScriptedStepWithAWorktree_ChangesNothing_AndItsWorktreeGoesAtMerge()
    {
        InitRepository();
        var step = Ok("start", "coder", "look around", "--worktree").Out.Trim();
        Ok("run", "--until-idle");
        var run = RunOf(step);

        Assert.Equal(GitOk("rev-parse", "main"), GitOk("rev-parse", $"orchestra/{run}-{step}"));
        Assert.Contains("step.snapshot", _cli.Run("logs", step).Err, StringComparison.Ordinal);
        var diff = _cli.Run("diff", step);
        Assert.Equal("", diff.Out);
        Assert.Contains("changed nothing", diff.Err, StringComparison.Ordinal);
        Assert.Contains("changed nothing", Ok("merge", run).Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cli.StateDir, "worktrees", run, step)));
    }
}
