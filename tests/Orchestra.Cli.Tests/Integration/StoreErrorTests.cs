namespace Orchestra.Cli.Tests.Integration;

/// <summary>A store that cannot be used is one line on stderr naming it, and exit code 1.</summary>
public sealed class StoreErrorTests : IntegrationTest
{
    private static void AssertEnvironmentError(CliResult r, string path)
    {
        Assert.True(r.ExitCode == 1, $"exit code {r.ExitCode}: {r.Err}{r.Out}");
        Assert.Contains(path, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void UnwritableLocation_IsOneLineNamingThePath()
    {
        Init();
        AssertEnvironmentError(Cli.Run("--store", "/proc/orchestra-test.db", "status"), "/proc/orchestra-test.db");
    }

    [Fact]
    public void DirectoryThatCannotBeCreated_IsOneLineNamingThePath()
    {
        Init();
        AssertEnvironmentError(Cli.Run("--store", "/proc/orchestra-test/store.db", "status"), "/proc/orchestra-test/store.db");
    }

    [Fact]
    public void FileThatIsNotADatabase_IsOneLineNamingThePath()
    {
        Init();
        Cli.WriteFile("junk.db", new string('x', 4096));
        var path = InRoot("junk.db");
        AssertEnvironmentError(Cli.Run("--store", path, "status"), path);
    }
}
