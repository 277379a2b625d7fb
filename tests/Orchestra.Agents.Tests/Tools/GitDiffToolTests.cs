using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

public sealed class GitDiffToolTests : ToolTestBase
{
    private void Repository()
    {
        Git(Root, "init", "-q", "-b", "main");
        Git(Root, "config", "user.email", "test@example.com");
        Git(Root, "config", "user.name", "Test");
        Write("a.txt", "old\n");
        Write("sub/b.txt", "one\n");
        Git(Root, "add", ".");
        Git(Root, "commit", "-q", "-m", "first");
    }

    [Fact]
    public async Task ShowsUnstagedChanges()
    {
        Repository();
        Write("a.txt", "new\n");
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "git_diff");

        Assert.Contains("diff --git a/a.txt b/a.txt", text, StringComparison.Ordinal);
        Assert.Contains("-old\n+new\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowsStagedChangesAndChangesSinceARef()
    {
        Repository();
        Write("a.txt", "staged\n");
        Git(Root, "add", "a.txt");
        var box = await BoxAsync(Options());

        Assert.Equal("no differences", await OkAsync(box, "git_diff"));
        Assert.Contains("+staged", await OkAsync(box, "git_diff", """{"staged": true}"""), StringComparison.Ordinal);
        Assert.Contains("+staged", await OkAsync(box, "git_diff", """{"ref": "HEAD"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APathLimitsTheDiff()
    {
        Repository();
        Write("a.txt", "new\n");
        Write("sub/b.txt", "two\n");
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "git_diff", """{"path": "sub"}""");

        Assert.Contains("+two", text, StringComparison.Ordinal);
        Assert.DoesNotContain("a.txt", text, StringComparison.Ordinal);
        Assert.Contains("outside the workspace", await ErrorAsync(box, "git_diff", """{"path": "../x"}"""), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--output=/tmp/pwned")]
    [InlineData("-p")]
    [InlineData("HEAD ; rm -rf /")]
    public async Task ARefThatWouldBeAnOptionIsRefused(string reference)
    {
        Repository();
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "git_diff", $$"""{"ref": "{{reference}}"}""");

        Assert.Contains("is not a git revision", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitFailuresComeBackAsErrors()
    {
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "git_diff");

        Assert.Equal("error: the workspace is not a git repository, so there is no diff to show; use read_file and list_files instead", text);
    }

    [Fact]
    public async Task ARootInsideARepositoryShowsOnlyItsOwnPart()
    {
        Repository();
        Write("a.txt", "new\n");
        Write("sub/b.txt", "two\n");
        var box = await BoxAsync(ToolOptions.ForDirectory(Path.Combine(Root, "sub")));

        var text = await OkAsync(box, "git_diff");

        Assert.Contains("diff --git a/b.txt b/b.txt", text, StringComparison.Ordinal);
        Assert.DoesNotContain("a.txt", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownRefIsAnError()
    {
        Repository();
        var box = await BoxAsync(Options());

        Assert.StartsWith("error: git diff failed", await ErrorAsync(box, "git_diff", """{"ref": "no-such-branch"}"""), StringComparison.Ordinal);
    }
}
