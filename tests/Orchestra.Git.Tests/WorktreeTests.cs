using Orchestra.Core;

namespace Orchestra.Git.Tests;

public sealed class WorktreeTests : IDisposable
{
    private readonly TestRepo _repo = new(files: new Dictionary<string, string> { ["src/app.txt"] = "one\ntwo\nthree\n" });

    public void Dispose() => _repo.Dispose();

    private static StepRef Step(string run, string name = "fix", string agent = "coder") => new(run, TestRepo.NewStepId(), name, agent);

    [Fact]
    public async Task Prepare_StartsTheSessionFromHead_AndGivesTheStepAWorktreeOnItsOwnBranch()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var step = Step(run);
        var head = _repo.Git("rev-parse", "HEAD");

        var worktree = await git.PrepareAsync(step);

        Assert.Equal(Path.Combine(_repo.Root, ".orchestra", "worktrees", run, step.StepId), worktree.WorkDirectory);
        Assert.True(File.Exists(Path.Combine(worktree.WorkDirectory, "src", "app.txt")));
        Assert.Equal(head, _repo.Git("rev-parse", $"orchestra/{run}"));
        Assert.Equal(head, _repo.Git("rev-parse", $"orchestra/{run}-{step.StepId}"));
        Assert.Equal($"orchestra/{run}-{step.StepId}", TestRepo.GitIn(worktree.WorkDirectory, "branch", "--show-current"));
        Assert.Equal(head, worktree.Repos["."].Base);
    }

    [Fact]
    public async Task Commit_RecordsTheStepsWorkOnItsBranch_NotInTheMainWorkingTree()
    {
        var git = _repo.Workspace();
        var step = Step(TestRepo.NewRunId(), "add notes", "writer");
        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "notes.md"), "written by the step\n");
        File.Delete(Path.Combine(worktree.WorkDirectory, "README.md"));

        var snapshot = await git.CommitAsync(step);

        var commit = snapshot.Repos["."].Commit;
        Assert.NotNull(commit);
        Assert.Equal(commit, _repo.Git("rev-parse", $"orchestra/{step.RunId}-{step.StepId}"));
        Assert.Equal($"orchestra: add notes (writer) [run {step.RunId}, step {step.StepId}]", _repo.Git("log", "-1", "--format=%s", commit!));
        Assert.Equal("Test User", _repo.Git("log", "-1", "--format=%an", commit!));
        Assert.Equal("written by the step\n", _repo.Show(commit!, "notes.md"));
        Assert.Null(_repo.Show(commit!, "README.md"));
        Assert.False(File.Exists(Path.Combine(_repo.Root, "notes.md")));
        Assert.True(File.Exists(Path.Combine(_repo.Root, "README.md")));
        Assert.Equal("main", _repo.Git("branch", "--show-current"));
        var json = snapshot.ToJson();
        Assert.Equal(commit, (string?)json["snapshot"]!["."]);
    }

    [Fact]
    public async Task Commit_WithoutChanges_RecordsNoCommit()
    {
        var git = _repo.Workspace();
        var step = Step(TestRepo.NewRunId());
        await git.PrepareAsync(step);

        var snapshot = await git.CommitAsync(step);

        Assert.False(snapshot.Changed);
        Assert.Empty(snapshot.ToJson()["snapshot"]!.AsObject());
    }

    [Fact]
    public async Task Commit_WithoutAnIdentity_UsesOrchestrasOwn()
    {
        using var bare = new TestRepo(withIdentity: false);
        var git = bare.Workspace();
        var step = Step(TestRepo.NewRunId());
        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "x.txt"), "x");

        var commit = (await git.CommitAsync(step)).Repos["."].Commit!;

        Assert.Equal("Orchestra <orchestra@localhost>", bare.Git("log", "-1", "--format=%an <%ae>", commit));
        Assert.Equal("Orchestra <orchestra@localhost>", bare.Git("log", "-1", "--format=%cn <%ce>", commit));
    }

    [Fact]
    public async Task CopiedFiles_AreInTheWorktree_ButNeverCommitted()
    {
        _repo.Write(".env", "SECRET=1\n");
        _repo.Write("config/local.json", "{\"local\":true}\n");
        var git = _repo.Workspace(copy: [".env", "config/local.json", "missing.txt"]);
        var step = Step(TestRepo.NewRunId());
        // config/local.json is untracked in the main tree: the session needs a clean tree, so it is ignored there.
        _repo.Write(".git/info/exclude", "config/local.json\n");

        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "work.txt"), "done");
        var commit = (await git.CommitAsync(step)).Repos["."].Commit!;

        Assert.Equal("SECRET=1\n", File.ReadAllText(Path.Combine(worktree.WorkDirectory, ".env")));
        Assert.Equal("{\"local\":true}\n", File.ReadAllText(Path.Combine(worktree.WorkDirectory, "config", "local.json")));
        Assert.False(File.Exists(Path.Combine(worktree.WorkDirectory, "missing.txt")));
        Assert.Equal("work.txt", _repo.Git("diff-tree", "--no-commit-id", "--name-only", "-r", commit));
    }

    [Fact]
    public async Task Prepare_Again_ReturnsTheSameWorktreeWithTheEarlierAttemptsWork()
    {
        var git = _repo.Workspace();
        var step = Step(TestRepo.NewRunId());
        var first = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(first.WorkDirectory, "partial.txt"), "half");

        var second = await git.PrepareAsync(step);

        Assert.Equal(first.WorkDirectory, second.WorkDirectory);
        Assert.Equal("half", File.ReadAllText(Path.Combine(second.WorkDirectory, "partial.txt")));
    }

    [Fact]
    public async Task StepsOfOneRun_RunningInParallel_ShareOneSessionBranch()
    {
        var git = _repo.Workspace();
        var run = TestRepo.NewRunId();
        var steps = Enumerable.Range(0, 4).Select(_ => Step(run)).ToList();

        var worktrees = await Task.WhenAll(steps.Select(s => git.PrepareAsync(s)));

        var head = _repo.Git("rev-parse", "HEAD");
        Assert.All(worktrees, w => Assert.Equal(head, w.Repos["."].Base));
        Assert.Equal(head, _repo.Git("rev-parse", $"orchestra/{run}"));
        Assert.Equal(4, worktrees.Select(w => w.WorkDirectory).Distinct().Count());
    }

    [Fact]
    public async Task WorkspaceInASubfolder_WorksInTheSameSubfolderOfTheWorktree()
    {
        _repo.Write("services/api/.orchestra/.gitignore", "worktrees/\n");
        _repo.Write("services/api/main.txt", "api\n");
        _repo.Git("add", "-A");
        _repo.Git("commit", "--quiet", "-m", "api");
        var git = new GitWorkspace(new GitWorkspaceOptions { Root = Path.Combine(_repo.Root, "services", "api"), Git = TestRepo.Cli });
        var step = Step(TestRepo.NewRunId());

        var worktree = await git.PrepareAsync(step);

        Assert.Equal(Path.Combine(worktree.Folder, "services", "api"), worktree.WorkDirectory);
        Assert.Equal("api\n", File.ReadAllText(Path.Combine(worktree.WorkDirectory, "main.txt")));
    }
}
