using Orchestra.Core;

namespace Orchestra.Git.Tests;

public sealed class BadInputTests : IDisposable
{
    private readonly TestRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static StepRef Step() => new(TestRepo.NewRunId(), TestRepo.NewStepId(), "s", "a");

    private static void AssertOneLine(OrchestraException e, ErrorKind kind, params string[] expected)
    {
        Assert.Equal(kind, e.Kind);
        Assert.DoesNotContain('\n', e.Message);
        foreach (var text in expected)
            Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotARepository_SaysToRunGitInit()
    {
        var dir = Directory.CreateTempSubdirectory("orchestra-nogit-").FullName;
        try
        {
            var git = new GitWorkspace(new GitWorkspaceOptions { Root = dir, Git = TestRepo.Cli });
            var e = await Assert.ThrowsAsync<OrchestraException>(() => git.PrepareAsync(Step()));
            AssertOneLine(e, ErrorKind.Usage, "is not in a git repository", "git init", "workspace inside a repository");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task GitNotInstalled_SaysToInstallIt()
    {
        var git = new GitWorkspace(new GitWorkspaceOptions { Root = _repo.Root, Git = new GitCli("/nonexistent/git") });
        var e = await Assert.ThrowsAsync<OrchestraException>(() => git.CheckReadyAsync());
        AssertOneLine(e, ErrorKind.Usage, "git is not installed", "install git");
    }

    [Fact]
    public async Task DirtyWorkingTree_NamesTheFiles_AndIgnoresOrchestrasOwnFolder()
    {
        _repo.Write("README.md", "changed\n");
        _repo.Write("new.txt", "untracked\n");
        _repo.Write(".orchestra/inbox/s1.json", "{}");
        var git = _repo.Workspace();

        var e = await Assert.ThrowsAsync<OrchestraException>(() => git.PrepareAsync(Step()));

        AssertOneLine(e, ErrorKind.Usage, "has uncommitted changes (README.md, new.txt)", "commit or stash them first");
        Assert.Equal("", _repo.Git("branch", "--list", "orchestra/*"));
    }

    [Fact]
    public async Task CleanTreeApartFromOrchestrasFolder_IsReady()
    {
        _repo.Write(".orchestra/inbox/s1.json", "{}");
        await _repo.Workspace().CheckReadyAsync();
    }

    [Fact]
    public async Task ABranchNamedOrchestra_IsNamedWithTheFix()
    {
        _repo.Git("branch", "orchestra");
        var e = await Assert.ThrowsAsync<OrchestraException>(() => _repo.Workspace().PrepareAsync(Step()));
        AssertOneLine(e, ErrorKind.Conflict, "a branch named 'orchestra' already exists", "git branch -m orchestra");
    }

    [Fact]
    public async Task AnExistingStepBranch_IsNotTakenOver()
    {
        var step = Step();
        _repo.Git("branch", $"orchestra/{step.RunId}-{step.StepId}");
        var e = await Assert.ThrowsAsync<OrchestraException>(() => _repo.Workspace().PrepareAsync(step));
        AssertOneLine(e, ErrorKind.Conflict, $"branch orchestra/{step.RunId}-{step.StepId} already exists", "git branch -D");
    }

    [Fact]
    public async Task ASessionBranchThatDoesNotStartFromTheRunsBase_IsNotTakenOver()
    {
        var first = Step();
        var git = _repo.Workspace();
        await git.PrepareAsync(first);
        // Someone points the session branch somewhere unrelated.
        _repo.Git("checkout", "--quiet", "--orphan", "other");
        _repo.Git("commit", "--quiet", "--allow-empty", "-m", "unrelated");
        _repo.Git("branch", "-f", $"orchestra/{first.RunId}", "other");
        _repo.Git("checkout", "--quiet", "main");

        var e = await Assert.ThrowsAsync<OrchestraException>(() => git.PrepareAsync(first with { StepId = TestRepo.NewStepId() }));

        AssertOneLine(e, ErrorKind.Conflict, $"branch orchestra/{first.RunId} already exists", "does not start from the run's base commit");
    }

    [Fact]
    public async Task ARepositoryWithoutCommits_SaysToCommitFirst()
    {
        var dir = Directory.CreateTempSubdirectory("orchestra-empty-").FullName;
        try
        {
            TestRepo.GitIn(dir, "init", "--quiet");
            var git = new GitWorkspace(new GitWorkspaceOptions { Root = dir, Git = TestRepo.Cli });
            var e = await Assert.ThrowsAsync<OrchestraException>(() => git.CheckReadyAsync());
            AssertOneLine(e, ErrorKind.Usage, "has no commits yet", "git commit --allow-empty");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc/passwd")]
    public void CopyPathsOutsideTheWorkspace_AreRefused(string path)
    {
        var e = Assert.Throws<OrchestraException>(() => _repo.Workspace(copy: [path]));
        AssertOneLine(e, ErrorKind.Usage, "worktree.copy", "must be a path inside the workspace");
    }

    [Fact]
    public async Task MergingAStepWithoutAWorktree_SaysWhichStepsHaveOne()
    {
        var e = await Assert.ThrowsAsync<OrchestraException>(() => _repo.Workspace().MergeAsync(Step()));
        AssertOneLine(e, ErrorKind.NotFound, "has no worktree", "--worktree");
    }

    [Fact]
    public void IdsThatAreNotIds_NeverBecomePaths()
    {
        var git = _repo.Workspace();
        Assert.Throws<OrchestraException>(() => git.StepFolder("../../etc", "s0000000000000"));
        Assert.Throws<OrchestraException>(() => git.StepFolder(TestRepo.NewRunId(), "../x"));
    }
}
