namespace Orchestra.Git.Tests;

public sealed class CleanupTests : IDisposable
{
    private readonly TestRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private async Task<StepRef> StepAsync(GitWorkspace git, string run, string? file = null)
    {
        var step = new StepRef(run, TestRepo.NewStepId(), "s", "a");
        var worktree = await git.PrepareAsync(step);
        if (file is not null)
        {
            File.WriteAllText(Path.Combine(worktree.WorkDirectory, file), file);
            await git.CommitAsync(step);
        }
        return step;
    }

    [Fact]
    public async Task Cleanup_RemovesTheRunsWorktreesAndTheBranchesWhoseWorkIsSafe()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var unchanged = await StepAsync(git, run);
        var merged = await StepAsync(git, run, "m.txt");
        await git.MergeAsync(merged);
        // The session's work reaches the main branch, as a user would bring it in.
        _repo.Git("merge", "--quiet", "--ff-only", $"orchestra/{run}");

        var report = await git.CleanupAsync([run]);

        Assert.Equal(1, report.Worktrees);
        Assert.Empty(report.Kept);
        Assert.Equal("", _repo.Git("branch", "--list", "orchestra/*"));
        Assert.False(Directory.Exists(git.RunFolder(run)));
        Assert.DoesNotContain(unchanged.StepId, _repo.Git("worktree", "list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_KeepsBranchesWithWorkFoundNowhereElse_AndSaysWhy()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var unmerged = await StepAsync(git, run, "u.txt");

        var report = await git.CleanupAsync([run]);

        Assert.Equal(1, report.Worktrees);
        var kept = report.Kept.Select(k => k.Branch).ToList();
        Assert.Equal([$"orchestra/{run}-{unmerged.StepId}", $"orchestra/{run}"], kept);
        Assert.Contains($"orchestra merge {unmerged.StepId}", report.Kept[0].Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(git.StepFolder(run, unmerged.StepId)));
        // The record stays, so the kept step can still be diffed and merged.
        Assert.Contains("+u.txt", await git.DiffAsync(run, unmerged.StepId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_KeepsASessionBranchWhoseMergedWorkIsNotInHead()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        await git.MergeAsync(await StepAsync(git, run, "m.txt"));

        var report = await git.CleanupAsync([run]);

        var kept = Assert.Single(report.Kept);
        Assert.Equal($"orchestra/{run}", kept.Branch);
        Assert.Contains($"git merge orchestra/{run}", kept.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_LeavesOtherRunsAlone_AndPrunesWorktreesWhoseFoldersAreGone()
    {
        var git = _repo.Workspace();
        var old = TestRepo.NewRunId();
        var current = TestRepo.NewRunId();
        await StepAsync(git, old);
        var live = await StepAsync(git, current);
        var lost = await StepAsync(git, current);
        Directory.Delete(git.StepFolder(current, lost.StepId), recursive: true);

        var runs = (await git.ListRunsAsync()).Select(r => r.RunId).ToList();
        await git.CleanupAsync([old]);

        Assert.Equal(new[] { old, current }.Order(StringComparer.Ordinal), runs);
        Assert.True(Directory.Exists(git.StepFolder(current, live.StepId)));
        Assert.True(_repo.BranchExists($"orchestra/{current}"));
        Assert.DoesNotContain(lost.StepId, _repo.Git("worktree", "list"), StringComparison.Ordinal);
        Assert.False(_repo.BranchExists($"orchestra/{old}"));
    }
}
