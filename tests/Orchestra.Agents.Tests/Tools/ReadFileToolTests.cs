using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

public sealed class ReadFileToolTests : ToolTestBase
{
    [Fact]
    public async Task ReadsATextFileWithLineNumbers()
    {
        Write("src/a.txt", "first\r\nsecond\nthird");
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "read_file", """{"path": "src/a.txt"}""");

        Assert.Equal("     1\tfirst\n     2\tsecond\n     3\tthird\n", text);
    }

    [Fact]
    public async Task ReadsPlainTextWhenAsked()
    {
        Write("a.txt", "one\ntwo\n");
        var box = await BoxAsync(Options());

        Assert.Equal("one\ntwo\n", await OkAsync(box, "read_file", """{"path": "a.txt", "line_numbers": false}"""));
    }

    [Fact]
    public async Task OffsetAndLimitReadAWindowAndSayWhereToGoOn()
    {
        Write("a.txt", string.Join('\n', Enumerable.Range(1, 10).Select(i => $"line {i}")));
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "read_file", """{"path": "a.txt", "offset": 4, "limit": 2}""");

        Assert.StartsWith("     4\tline 4\n     5\tline 5\n", text, StringComparison.Ordinal);
        Assert.Contains("call read_file with offset=6", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NumbersSentAsStringsAreAccepted()
    {
        Write("a.txt", "a\nb\nc");
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "read_file", """{"path": "a.txt", "offset": "3"}""");

        Assert.Equal("     3\tc\n", text);
    }

    [Fact]
    public async Task OutputIsCutAtTheCapAndTheResultSaysSo()
    {
        Write("big.txt", string.Join('\n', Enumerable.Range(1, 500).Select(i => $"this is line number {i}")));
        var box = await BoxAsync(Options() with { MaxOutputBytes = 1024 });

        var text = await OkAsync(box, "read_file", """{"path": "big.txt"}""");

        Assert.Contains("[output cut at 1 KiB after line", text, StringComparison.Ordinal);
        Assert.Contains("call read_file with offset=", text, StringComparison.Ordinal);
        Assert.True(text.Length < 1400, $"{text.Length} characters");
    }

    [Fact]
    public async Task BinaryFilesAreRefused()
    {
        File.WriteAllBytes(Path.Combine(Root, "image.png"), [0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]);
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "read_file", """{"path": "image.png"}""");

        Assert.Equal("error: 'image.png' is a binary file (7 bytes); read_file reads text files only", text);
    }

    [Fact]
    public async Task AMissingFileIsAnErrorForTheModel()
    {
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "read_file", """{"path": "nope.txt"}""");

        Assert.StartsWith("error: file 'nope.txt' not found", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryIsAnErrorThatPointsToListFiles()
    {
        Directory.CreateDirectory(Path.Combine(Root, "src"));
        var box = await BoxAsync(Options());

        Assert.Contains("use list_files", await ErrorAsync(box, "read_file", """{"path": "src"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOffsetPastTheEndIsAnError()
    {
        Write("a.txt", "a\nb");
        var box = await BoxAsync(Options());

        Assert.Equal("error: file 'a.txt' has 2 lines; offset 5 is past its end", await ErrorAsync(box, "read_file", """{"path": "a.txt", "offset": 5}"""));
    }

    [Fact]
    public async Task AnEmptyFileSaysSo()
    {
        Write("empty.txt", "");
        var box = await BoxAsync(Options());

        Assert.Equal("(file 'empty.txt' is empty)", await OkAsync(box, "read_file", """{"path": "empty.txt"}"""));
    }

    [Fact]
    public async Task PathsOutsideTheWorkspaceAreErrors()
    {
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "read_file", """{"path": "../../etc/passwd"}""");

        Assert.Equal($"error: path '../../etc/passwd' is outside the workspace; use a path relative to {CanonicalRoot}", text);
    }

    [Fact]
    public async Task BadArgumentsAreErrorsThatNameTheArgument()
    {
        Write("a.txt", "x");
        var box = await BoxAsync(Options());

        Assert.Equal("error: read_file needs the argument 'path' (The file, relative to the workspace root.)", await ErrorAsync(box, "read_file", "{}"));
        Assert.Equal("error: unknown argument 'file' for read_file; it takes path, offset, limit, line_numbers", await ErrorAsync(box, "read_file", """{"file": "a.txt"}"""));
        Assert.Equal("error: argument 'offset' of read_file must be a whole number", await ErrorAsync(box, "read_file", """{"path": "a.txt", "offset": "first"}"""));
        Assert.Equal("error: argument 'offset' of read_file must be between 1 and 2147483647, not 0", await ErrorAsync(box, "read_file", """{"path": "a.txt", "offset": 0}"""));
        Assert.Equal("error: argument 'path' of read_file must be a string", await ErrorAsync(box, "read_file", """{"path": 42}"""));
    }

    [Fact]
    public async Task VeryLongLinesAreCut()
    {
        Write("min.js", new string('x', ReadFileTool.MaxLineChars + 100));
        var box = await BoxAsync(Options());

        var text = await OkAsync(box, "read_file", """{"path": "min.js", "line_numbers": false}""");

        Assert.StartsWith(new string('x', ReadFileTool.MaxLineChars) + "\n", text, StringComparison.Ordinal);
        Assert.Contains($"[lines longer than {ReadFileTool.MaxLineChars} characters were cut]", text, StringComparison.Ordinal);
    }
}
