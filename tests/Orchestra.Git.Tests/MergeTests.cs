using Orchestra.Core;

namespace Orchestra.Git.Tests;

public sealed class MergeTests : IDisposable
{
    private readonly TestRepo _repo = new(files: new Dictionary<string, string> { ["app.txt"] = "one\ntwo\nthree\n" });

    public void Dispose() => _repo.Dispose();

    private async Task<StepRef> StepThatWritesAsync(GitWorkspace git, string run, string file, string content)
    {
        var step = new StepRef(run, TestRepo.NewStepId(), "edit " + file, "coder");
        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, file), content);
        await git.CommitAsync(step);
        return step;
    }

    [Fact]
    public async Task Merge_BringsTheStepsCommitIntoTheSessionBranch_AndRemovesItsWorktree()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var step = await StepThatWritesAsync(git, run, "new.txt", "new\n");

        var result = await git.MergeAsync(step);

        Assert.Equal(MergeStatus.Merged, result.Status);
        Assert.Equal("new\n", _repo.Show($"orchestra/{run}", "new.txt"));
        Assert.Equal(result.Commits["."], _repo.Git("rev-parse", $"orchestra/{run}"));
        Assert.Equal(2, _repo.Git("log", "-1", "--format=%P", $"orchestra/{run}").Split(' ').Length);
        Assert.StartsWith("orchestra: merge edit new.txt (coder)", _repo.Git("log", "-1", "--format=%s", $"orchestra/{run}"), StringComparison.Ordinal);
        Assert.False(Directory.Exists(git.StepFolder(run, step.StepId)));
        Assert.True(_repo.BranchExists($"orchestra/{run}-{step.StepId}"));
        Assert.DoesNotContain(step.StepId, _repo.Git("worktree", "list"), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_repo.Root, "new.txt")));
    }

    [Fact]
    public async Task Merge_Twice_SaysItIsAlreadyMerged()
    {
        var git = _repo.Workspace();
        var step = await StepThatWritesAsync(git, TestRepo.NewRunId(), "new.txt", "new\n");
        await git.MergeAsync(step);

        Assert.Equal(MergeStatus.AlreadyMerged, (await git.MergeAsync(step)).Status);
    }

    [Fact]
    public async Task Merge_OfAStepThatChangedNothing_RemovesItsWorktree()
    {
        var git = _repo.Workspace();
        var step = new StepRef(TestRepo.NewRunId(), TestRepo.NewStepId(), "noop", "coder");
        await git.PrepareAsync(step);

        var result = await git.MergeAsync(step);

        Assert.Equal(MergeStatus.NothingToMerge, result.Status);
        Assert.False(Directory.Exists(git.StepFolder(step.RunId, step.StepId)));
    }

    [Fact]
    public async Task Merge_CommitsWorkTheStepLeftUncommitted_BeforeRemovingItsWorktree()
    {
        var git = _repo.Workspace();
        var step = new StepRef(TestRepo.NewRunId(), TestRepo.NewStepId(), "late", "coder");
        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "late.txt"), "late\n");

        Assert.Equal(MergeStatus.Merged, (await git.MergeAsync(step)).Status);
        Assert.Equal("late\n", _repo.Show($"orchestra/{step.RunId}", "late.txt"));
    }

    [Fact]
    public async Task TwoStepsOfARun_ChangingDifferentFiles_BothMerge()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var a = await StepThatWritesAsync(git, run, "a.txt", "a\n");
        var b = await StepThatWritesAsync(git, run, "b.txt", "b\n");

        Assert.Equal(MergeStatus.Merged, (await git.MergeAsync(a)).Status);
        Assert.Equal(MergeStatus.Merged, (await git.MergeAsync(b)).Status);
        Assert.Equal("a\n", _repo.Show($"orchestra/{run}", "a.txt"));
        Assert.Equal("b\n", _repo.Show($"orchestra/{run}", "b.txt"));
    }

    [Fact]
    public async Task ConflictingSteps_ReportTheFiles_AndLoseNothing()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var a = await StepThatWritesAsync(git, run, "app.txt", "one\nTWO from a\nthree\n");
        var b = await StepThatWritesAsync(git, run, "app.txt", "one\nTWO from b\nthree\n");
        await git.MergeAsync(a);
        var sessionBefore = _repo.Git("rev-parse", $"orchestra/{run}");
        var branchBefore = _repo.Git("rev-parse", $"orchestra/{run}-{b.StepId}");

        var result = await git.MergeAsync(b);

        Assert.Equal(MergeStatus.Conflict, result.Status);
        Assert.Equal(["app.txt"], result.ConflictFiles);
        Assert.Equal(sessionBefore, _repo.Git("rev-parse", $"orchestra/{run}"));
        Assert.Equal(branchBefore, _repo.Git("rev-parse", $"orchestra/{run}-{b.StepId}"));
        Assert.Equal("one\nTWO from b\nthree\n", File.ReadAllText(Path.Combine(git.StepFolder(run, b.StepId), "app.txt")));
        Assert.Equal("", _repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task Merge_WhenTheSessionBranchIsCheckedOut_RefusesWithoutChangingAnything()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var step = await StepThatWritesAsync(git, run, "x.txt", "x\n");
        _repo.Git("switch", "--quiet", $"orchestra/{run}");

        var error = await Assert.ThrowsAsync<OrchestraException>(() => git.MergeAsync(step));

        Assert.Contains($"orchestra/{run} is checked out in {_repo.Root}", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(git.StepFolder(run, step.StepId)));
    }

    [Fact]
    public async Task Diff_ShowsTheStepsChanges_WhileRunning_AndAfterTheMerge()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var step = new StepRef(run, TestRepo.NewStepId(), "edit", "coder");
        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "app.txt"), "one\n2\nthree\n");
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "fresh.txt"), "fresh\n");

        var uncommitted = await git.DiffAsync(run, step.StepId);
        var stat = await git.DiffAsync(run, step.StepId, stat: true);
        await git.CommitAsync(step);
        await git.MergeAsync(step);
        var merged = await git.DiffAsync(run, step.StepId);

        Assert.Contains("+++ b/fresh.txt", uncommitted, StringComparison.Ordinal);
        Assert.Contains("-two\n+2\n", uncommitted, StringComparison.Ordinal);
        Assert.Contains("2 files changed", stat, StringComparison.Ordinal);
        Assert.Equal(uncommitted, merged);
        // The scratch index left the worktree's own index alone: nothing was staged there.
        Assert.Equal("", TestRepo.GitIn(Path.GetTempPath(), "-C", _repo.Root, "diff", "--cached", "--name-only"));
    }
}
