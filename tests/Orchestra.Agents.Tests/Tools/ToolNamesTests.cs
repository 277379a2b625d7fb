using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

public sealed class ToolNamesTests
{
    [Theory]
    [InlineData("read_file", "read_file")]
    [InlineData("api:read_file", "api__read_file")]
    [InlineData("github:create-issue", "github__create-issue")]
    [InlineData("fs:read.file/v2", "fs__read_file_v2")]
    [InlineData("ü", "_")]
    public void WireNamesUseOnlyWhatProvidersAccept(string display, string wire)
    {
        Assert.Equal(wire, ToolNames.ToWireName(display));
        Assert.True(ToolNames.IsWireSafe(wire));
    }

    [Fact]
    public void LongNamesAreShortenedWithAHash()
    {
        var display = "server:" + new string('t', 100);

        var wire = ToolNames.ToWireName(display);

        Assert.Equal(64, wire.Length);
        Assert.True(ToolNames.IsWireSafe(wire));
        Assert.StartsWith("server__ttt", wire, StringComparison.Ordinal);
        Assert.NotEqual(wire, ToolNames.ToWireName("server:" + new string('t', 101)));
    }

    [Fact]
    public void TheTableKeepsWireNamesUniqueAndReversible()
    {
        var table = new ToolNameTable();

        var first = table.Add("a:b__c");
        var second = table.Add("a__b:c");

        Assert.Equal("a__b__c", first);
        Assert.Equal("a__b__c_2", second);
        Assert.Equal("a__b:c", table.DisplayName(second));
        Assert.Equal(first, table.Add("a:b__c"));
    }

    [Theory]
    [InlineData("api", true)]
    [InlineData("my-repo_2", true)]
    [InlineData("a__b", false)]
    [InlineData("a:b", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void NamesOfReposServersAndToolsAreChecked(string? name, bool valid) =>
        Assert.Equal(valid, ToolNames.IsValidName(name));
}
