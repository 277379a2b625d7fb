using Microsoft.Extensions.AI;
using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

public sealed class SearchCodeToolTests : ToolTestBase
{
    private void Tree()
    {
        Write("src/Main.cs", "class Main\n{\n    // TODO: split\n    void Run() { }\n}\n");
        Write("src/web/app.ts", "// todo: types\nexport const x = 1;\n");
        Write("docs/notes.md", "TODO list\n");
        Write("bin/Debug/Main.cs", "// TODO hidden\n");
        File.WriteAllBytes(Path.Combine(Root, "src", "blob.bin"), [.. "TODO"u8, 0, 1, 2]);
    }

    [Fact]
    public async Task FindsMatchingLinesAsPathLineText()
    {
        Tree();
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "search_code", """{"pattern": "TODO"}""");

        Assert.Equal("docs/notes.md:1: TODO list\nsrc/Main.cs:3: // TODO: split\n", text);
    }

    [Fact]
    public async Task IgnoreCaseGlobAndPathNarrowTheSearch()
    {
        Tree();
        var box = await BoxAsync(Options());

        Assert.Equal("docs/notes.md:1: TODO list\nsrc/Main.cs:3: // TODO: split\nsrc/web/app.ts:1: // todo: types\n",
            await OkAsync(box, "search_code", """{"pattern": "todo", "ignore_case": true}"""));
        Assert.Equal("src/web/app.ts:1: // todo: types\n",
            await OkAsync(box, "search_code", """{"pattern": "todo", "ignore_case": true, "glob": "*.ts"}"""));
        Assert.Equal("src/Main.cs:4: void Run() { }\n",
            await OkAsync(box, "search_code", """{"pattern": "Run\\(\\)", "path": "src"}"""));
        Assert.Equal("src/Main.cs:1: class Main\n",
            await OkAsync(box, "search_code", """{"pattern": "^class", "path": "src/Main.cs"}"""));
    }

    [Fact]
    public async Task MaxResultsStopsTheSearchAndSaysSo()
    {
        Write("a.txt", string.Join('\n', Enumerable.Repeat("hit", 10)));
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "search_code", """{"pattern": "hit", "max_results": 3}""");

        Assert.Equal("a.txt:1: hit\na.txt:2: hit\na.txt:3: hit\n[stopped after 3 matches; narrow the pattern, path or glob, or raise max_results]\n", text);
    }

    [Fact]
    public async Task NoMatchesSaysSo()
    {
        Tree();
        var box = await BoxAsync(Options());

        Assert.Equal("no matches for 'FIXME'", await OkAsync(box, "search_code", """{"pattern": "FIXME"}"""));
    }

    [Fact]
    public async Task AnInvalidRegularExpressionIsAnError()
    {
        var box = await BoxAsync(Options());

        Assert.StartsWith("error: '(unclosed' is not a valid regular expression:", await ErrorAsync(box, "search_code", """{"pattern": "(unclosed"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APatternThatRunsTooLongIsStoppedWithAnError()
    {
        Write("evil.txt", new string('a', 40) + "!");
        var tool = new SearchCodeTool(new ToolContext { Root = new WorkspaceRoot(Root), RegexTimeout = TimeSpan.FromMilliseconds(1) });

        var ex = await Assert.ThrowsAsync<ToolException>(async () =>
            await tool.InvokeAsync(new AIFunctionArguments(Arguments("""{"pattern": "^(a+)+$"}"""))));

        Assert.Contains("took too long on line 1 of 'evil.txt'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANamedPipeInTheTreeIsNotOpened()
    {
        Write("a.txt", "needle\n");
        var fifo = Path.Combine(Root, "pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
            await mkfifo.WaitForExitAsync();
        var box = await BoxAsync(Options());

        Assert.Equal("a.txt:1: needle\n", await OkAsync(box, "search_code", """{"pattern": "needle"}""").WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("(file 'pipe' is empty)", await OkAsync(box, "read_file", """{"path": "pipe"}""").WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
