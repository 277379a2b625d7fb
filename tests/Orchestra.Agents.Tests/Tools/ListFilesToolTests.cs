namespace Orchestra.Agents.Tests.Tools;

public sealed class ListFilesToolTests : ToolTestBase
{
    private void Tree()
    {
        Write("README.md", "");
        Write("src/app/Main.cs", "");
        Write("src/app/Util.cs", "");
        Write("src/web/index.ts", "");
        Write("src/bin/Debug/app.dll", "");
        Write("obj/project.assets.json", "");
        Write("node_modules/left-pad/index.js", "");
        Write(".git/config", "");
        Write(".orchestra/config.yaml", "");
    }

    [Fact]
    public async Task ListsFilesRecursivelyInOrderSkippingToolingDirectories()
    {
        Tree();
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "list_files");

        Assert.Equal("README.md\nsrc/app/Main.cs\nsrc/app/Util.cs\nsrc/web/index.ts\n", text);
    }

    [Fact]
    public async Task ListsADirectoryWithPathsRelativeToTheRoot()
    {
        Tree();
        var box = await BoxAsync(Options());

        Assert.Equal("src/web/index.ts\n", await OkAsync(box, "list_files", """{"path": "src/web"}"""));
    }

    [Theory]
    [InlineData("*.cs", "src/app/Main.cs\nsrc/app/Util.cs\n")]
    [InlineData("src/**/*.ts", "src/web/index.ts\n")]
    [InlineData("**/M*.cs", "src/app/Main.cs\n")]
    [InlineData("*.{md,ts}", "README.md\nsrc/web/index.ts\n")]
    [InlineData("U?il.cs", "src/app/Util.cs\n")]
    public async Task APatternFiltersTheFiles(string pattern, string expected)
    {
        Tree();
        var box = await BoxAsync(Options());

        Assert.Equal(expected, await OkAsync(box, "list_files", $$"""{"pattern": "{{pattern}}"}"""));
    }

    [Fact]
    public async Task MaxCapsTheListAndTheResultSaysHowManyThereAre()
    {
        Tree();
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "list_files", """{"max": 2}""");

        Assert.Equal("README.md\nsrc/app/Main.cs\n[2 of 4 files shown; narrow the path or pattern, or raise max]\n", text);
    }

    [Fact]
    public async Task SymlinksOutOfTheWorkspaceAreNotListedAndLinkedDirectoriesAreNotEntered()
    {
        Write("a.txt", "");
        var outside = NewDirectory("out");
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "");
        File.CreateSymbolicLink(Path.Combine(Root, "escape.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "outdir"), outside);
        Directory.CreateSymbolicLink(Path.Combine(Root, "self"), Root);
        File.CreateSymbolicLink(Path.Combine(Root, "inner.txt"), "a.txt");
        var box = await BoxAsync(Options());

        Assert.Equal("a.txt\ninner.txt\n", await OkAsync(box, "list_files"));
    }

    [Fact]
    public async Task NoMatchesAndMissingDirectoriesSaySo()
    {
        Write("a.txt", "");
        var box = await BoxAsync(Options());

        Assert.Equal("no files under '.' match '*.cs'", await OkAsync(box, "list_files", """{"pattern": "*.cs"}"""));
        Assert.StartsWith("error: directory 'nope' not found", await ErrorAsync(box, "list_files", """{"path": "nope"}"""), StringComparison.Ordinal);
        Assert.Contains("outside the workspace", await ErrorAsync(box, "list_files", """{"path": ".."}"""), StringComparison.Ordinal);
    }
}
