using Orchestra.Agents.Tools;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Tools;

public sealed class WriteFileToolTests : ToolTestBase
{
    [Fact]
    public async Task CreatesAFileAndItsParentDirectories()
    {
        var box = await BoxAsync(Options(ToolPermission.Write, [BuiltInToolNames.WriteFile]));

        var text = await OkAsync(box, "write_file", """{"path": "src/new/File.cs", "content": "class A {}\n"}""");

        Assert.Equal("wrote 11 bytes to 'src/new/File.cs' (new file)", text);
        Assert.Equal("class A {}\n", File.ReadAllText(Path.Combine(Root, "src", "new", "File.cs")));
    }

    [Fact]
    public async Task ReplacesAFileKeepingItsModeAndLeavesNoTemporaryFile()
    {
        var script = Write("run.sh", "old");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var box = await BoxAsync(Options(ToolPermission.Write, [BuiltInToolNames.WriteFile]));

        var text = await OkAsync(box, "write_file", """{"path": "run.sh", "content": "#!/bin/sh\necho hi\n"}""");

        Assert.EndsWith("(replaced)", text, StringComparison.Ordinal);
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(script));
        Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal(["run.sh"], Directory.GetFiles(Root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RefusedPathsAreErrorsAndWriteNothing()
    {
        var outside = NewDirectory("out");
        Directory.CreateSymbolicLink(Path.Combine(Root, "link"), outside);
        Directory.CreateDirectory(Path.Combine(Root, "dir"));
        var box = await BoxAsync(Options(ToolPermission.Write, [BuiltInToolNames.WriteFile]));

        Assert.Contains("outside the workspace", await ErrorAsync(box, "write_file", """{"path": "../escape.txt", "content": "x"}"""), StringComparison.Ordinal);
        Assert.Contains("outside the workspace", await ErrorAsync(box, "write_file", """{"path": "link/escape.txt", "content": "x"}"""), StringComparison.Ordinal);
        Assert.Contains(".orchestra", await ErrorAsync(box, "write_file", """{"path": ".orchestra/config.yaml", "content": "x"}"""), StringComparison.Ordinal);
        Assert.Contains(".git", await ErrorAsync(box, "write_file", """{"path": ".git/hooks/pre-commit", "content": "x"}"""), StringComparison.Ordinal);
        Assert.Contains("is a directory", await ErrorAsync(box, "write_file", """{"path": "dir", "content": "x"}"""), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.False(Directory.Exists(Path.Combine(Root, ".orchestra")));
        Assert.False(Directory.Exists(Path.Combine(Root, ".git")));
    }

    [Fact]
    public async Task AFileInTheWayOfTheParentDirectoryIsAnError()
    {
        Write("src", "I am a file");
        var box = await BoxAsync(Options(ToolPermission.Write, [BuiltInToolNames.WriteFile]));

        Assert.Contains("a file is in the way", await ErrorAsync(box, "write_file", """{"path": "src/a.cs", "content": "x"}"""), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ToolPermission.Read)]
    public async Task IsNotAvailableWithoutWritePermission(ToolPermission permission)
    {
        var ex = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(Options(permission, [BuiltInToolNames.WriteFile])));

        Assert.Equal("tool 'write_file' needs permission 'write' but the agent has 'read'; set permission: write in the agent definition, or remove write_file from its tools", ex.Message);
    }
}
