namespace Orchestra.Git.Tests;

public sealed class MultiRepoTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestra-multi-").FullName;
    private readonly TestRepo _api;
    private readonly TestRepo _web;

    public MultiRepoTests()
    {
        _api = new TestRepo(root: Path.Combine(_root, "services", "api"), files: new Dictionary<string, string> { ["api.txt"] = "api\n" });
        _web = new TestRepo(root: Path.Combine(_root, "web"), files: new Dictionary<string, string> { ["web.txt"] = "web\n" });
        Directory.CreateDirectory(Path.Combine(_root, ".orchestra"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private GitWorkspace Workspace() => new(new GitWorkspaceOptions
    {
        Root = _root,
        Git = TestRepo.Cli,
        Repos = new Dictionary<string, string> { ["api"] = "services/api", ["web"] = "web" },
    });

    [Fact]
    public async Task EachRepository_GetsItsSessionBranch_WorktreeAndCommit_MirroringTheWorkspaceLayout()
    {
        var git = Workspace();
        var step = new StepRef(TestRepo.NewRunId(), TestRepo.NewStepId(), "both", "coder");

        var worktree = await git.PrepareAsync(step);
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "services", "api", "api.txt"), "api 2\n");
        File.WriteAllText(Path.Combine(worktree.WorkDirectory, "web", "new.txt"), "new\n");
        var snapshot = await git.CommitAsync(step);
        var diff = await git.DiffAsync(step.RunId, step.StepId);
        var merge = await git.MergeAsync(step);

        Assert.Equal(worktree.Folder, worktree.WorkDirectory);
        Assert.Equal(["api", "web"], snapshot.ToJson()["snapshot"]!.AsObject().Select(kv => kv.Key));
        Assert.Contains("+++ b/services/api/api.txt", diff, StringComparison.Ordinal);
        Assert.Contains("+++ b/web/new.txt", diff, StringComparison.Ordinal);
        Assert.Equal(MergeStatus.Merged, merge.Status);
        Assert.Equal("api 2\n", _api.Show($"orchestra/{step.RunId}", "api.txt"));
        Assert.Equal("new\n", _web.Show($"orchestra/{step.RunId}", "new.txt"));
        Assert.False(Directory.Exists(worktree.Folder));
    }

    [Fact]
    public async Task AConflictInOneRepository_MergesNothingAnywhere()
    {
        var git = Workspace();
        var run = TestRepo.NewRunId();
        async Task<StepRef> Edit(string apiText, string webFile)
        {
            var s = new StepRef(run, TestRepo.NewStepId(), "edit", "coder");
            var w = await git.PrepareAsync(s);
            File.WriteAllText(Path.Combine(w.WorkDirectory, "services", "api", "api.txt"), apiText);
            File.WriteAllText(Path.Combine(w.WorkDirectory, "web", webFile), "x\n");
            await git.CommitAsync(s);
            return s;
        }
        var a = await Edit("from a\n", "a.txt");
        var b = await Edit("from b\n", "b.txt");
        await git.MergeAsync(a);
        var webBefore = _web.Git("rev-parse", $"orchestra/{run}");

        var result = await git.MergeAsync(b);

        Assert.Equal(MergeStatus.Conflict, result.Status);
        Assert.Equal(["services/api/api.txt"], result.ConflictFiles);
        Assert.Equal(webBefore, _web.Git("rev-parse", $"orchestra/{run}"));
    }

    [Fact]
    public async Task ARepositoryPathInsideAnotherRepository_IsRefused()
    {
        var git = new GitWorkspace(new GitWorkspaceOptions
        {
            Root = _root,
            Git = TestRepo.Cli,
            Repos = new Dictionary<string, string> { ["api"] = "services/api/.orchestra" },
        });
        var e = await Assert.ThrowsAsync<Orchestra.Core.OrchestraException>(() => git.CheckReadyAsync());
        Assert.Contains("list the repository's top folder", e.Message, StringComparison.Ordinal);
    }
}
