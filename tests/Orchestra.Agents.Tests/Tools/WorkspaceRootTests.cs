using Orchestra.Agents.Tools;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Tools;

public sealed class WorkspaceRootTests : ToolTestBase
{
    private WorkspaceRoot NewRoot() => new(Root);

    [Theory]
    [InlineData("src/a.cs", "src/a.cs")]
    [InlineData("./src/a.cs", "src/a.cs")]
    [InlineData("src//a.cs", "src/a.cs")]
    [InlineData("src/../README.md", "README.md")]
    [InlineData("not/yet/there.txt", "not/yet/there.txt")]
    public void RelativePathsResolveInsideTheRoot(string path, string expected)
    {
        var root = NewRoot();

        var resolved = root.Resolve(path);

        Assert.Equal(Path.Combine(root.FullPath, expected), resolved);
        Assert.Equal(expected, root.Relative(resolved));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("./")]
    public void EmptyOrDotIsTheRoot(string path) => Assert.Equal(NewRoot().FullPath, NewRoot().Resolve(path));

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("../sibling/file")]
    [InlineData("a/../../x")]
    [InlineData("a/b/../../../x")]
    [InlineData("~/.ssh/id_rsa")]
    public void PathsOutsideTheRootAreRefusedWithTheFix(string path)
    {
        var root = NewRoot();

        var ex = Assert.Throws<ToolException>(() => root.Resolve(path));

        Assert.Equal($"path '{path}' is outside the workspace; use a path relative to {root.FullPath}", ex.Message);
    }

    [Fact]
    public void AnAbsolutePathInsideTheRootIsStillRefused()
    {
        var root = NewRoot();
        Write("a.txt", "x");

        Assert.Throws<ToolException>(() => root.Resolve(Path.Combine(root.FullPath, "a.txt")));
    }

    [Fact]
    public void AFinalSymlinkToAFileOutsideIsRefused()
    {
        var outside = Path.Combine(NewDirectory("out"), "secret.txt");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(Root, "innocent.txt"), outside);

        var ex = Assert.Throws<ToolException>(() => NewRoot().Resolve("innocent.txt"));

        Assert.Contains("leads outside the workspace through a symbolic link", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ToolException>(() => NewRoot().Resolve("innocent.txt", PathAccess.Write));
    }

    [Fact]
    public void ADirectorySymlinkOutsideIsRefusedForEveryPathBelowIt()
    {
        var outside = NewDirectory("out");
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        Directory.CreateSymbolicLink(Path.Combine(Root, "docs"), outside);

        Assert.Throws<ToolException>(() => NewRoot().Resolve("docs"));
        Assert.Throws<ToolException>(() => NewRoot().Resolve("docs/secret.txt"));
        Assert.Throws<ToolException>(() => NewRoot().Resolve("docs/new.txt", PathAccess.Write));
    }

    [Fact]
    public void ARelativeSymlinkThatClimbsOutIsRefused()
    {
        Directory.CreateDirectory(Path.Combine(Root, "a"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "a", "up"), "../..");

        Assert.Throws<ToolException>(() => NewRoot().Resolve("a/up/etc/passwd"));
    }

    [Fact]
    public void DotDotAfterASymlinkClimbsFromTheLinkTarget()
    {
        // The kernel resolves link/.. from the link's target, not lexically: link/../x is outside/x here.
        var outside = NewDirectory("out");
        Directory.CreateDirectory(Path.Combine(outside, "deep"));
        File.WriteAllText(Path.Combine(outside, "x"), "secret");
        Directory.CreateSymbolicLink(Path.Combine(Root, "link"), Path.Combine(outside, "deep"));

        Assert.Throws<ToolException>(() => NewRoot().Resolve("link/../x"));
    }

    [Fact]
    public void AChainOfSymlinksThatEndsOutsideIsRefused()
    {
        var outside = Path.Combine(NewDirectory("out"), "secret.txt");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(Root, "b"), outside);
        File.CreateSymbolicLink(Path.Combine(Root, "a"), "b");

        Assert.Throws<ToolException>(() => NewRoot().Resolve("a"));
    }

    [Fact]
    public void ADanglingSymlinkToOutsideIsRefusedSoThatNoWriteCanCreateAFileThere()
    {
        var target = Path.Combine(NewDirectory("out"), "created-by-write.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "dangling"), target);

        Assert.Throws<ToolException>(() => NewRoot().Resolve("dangling", PathAccess.Write));
    }

    [Fact]
    public void SymlinksThatStayInsideAreFollowed()
    {
        Write("real/file.txt", "x");
        Directory.CreateSymbolicLink(Path.Combine(Root, "alias"), "real");
        File.CreateSymbolicLink(Path.Combine(Root, "f"), Path.Combine(Root, "real", "file.txt"));
        var root = NewRoot();

        Assert.Equal(Path.Combine(root.FullPath, "real", "file.txt"), root.Resolve("alias/file.txt"));
        Assert.Equal(Path.Combine(root.FullPath, "real", "file.txt"), root.Resolve("f"));
    }

    [Fact]
    public void ASymlinkLoopIsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(Root, "loop2"), "loop1");

        var ex = Assert.Throws<ToolException>(() => NewRoot().Resolve("loop1"));

        Assert.Contains("too many levels of symbolic links", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARootReachedThroughASymlinkIsCanonicalized()
    {
        var alias = Path.Combine(NewDirectory("alias"), "ws");
        Directory.CreateSymbolicLink(alias, Root);
        Write("a.txt", "x");

        var root = new WorkspaceRoot(alias);

        Assert.Equal(new WorkspaceRoot(Root).FullPath, root.FullPath);
        Assert.Equal(Path.Combine(root.FullPath, "a.txt"), root.Resolve("a.txt"));
    }

    [Theory]
    [InlineData(".git")]
    [InlineData(".git/config")]
    [InlineData("sub/.git/HEAD")]
    [InlineData(".GIT/config")]
    public void GitInternalsAreRefusedEvenForReading(string path)
    {
        var ex = Assert.Throws<ToolException>(() => NewRoot().Resolve(path));

        Assert.Contains("inside git's internal directory .git", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheStateDirectoryMayBeReadButNotWritten()
    {
        var root = NewRoot();

        Assert.Equal(Path.Combine(root.FullPath, ".orchestra", "config.yaml"), root.Resolve(".orchestra/config.yaml"));
        var ex = Assert.Throws<ToolException>(() => root.Resolve(".orchestra/config.yaml", PathAccess.Write));
        Assert.Contains("Orchestra's state directory .orchestra", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRootItselfCannotBeWritten() =>
        Assert.Throws<ToolException>(() => NewRoot().Resolve(".", PathAccess.Write));

    [Fact]
    public void ANulCharacterIsRefused() =>
        Assert.Throws<ToolException>(() => NewRoot().Resolve("a\0b"));

    [Fact]
    public void TryResolveReportsInsteadOfThrowing()
    {
        Assert.False(NewRoot().TryResolve("../x", PathAccess.Read, out _, out var error));
        Assert.Contains("outside the workspace", error, StringComparison.Ordinal);
        Assert.True(NewRoot().TryResolve("x", PathAccess.Write, out var full, out error));
        Assert.Null(error);
        Assert.EndsWith("/x", full, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingRootIsAUsageError()
    {
        var ex = Assert.Throws<OrchestraException>(() => new WorkspaceRoot(Path.Combine(Root, "missing")));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }
}
