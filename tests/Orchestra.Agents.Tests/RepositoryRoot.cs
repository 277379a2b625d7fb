namespace Orchestra.Agents.Tests;

/// <summary>The repository the tests were built from: the directory holding <c>Orchestra.slnx</c>, above the test binaries.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string?> Found = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestra.slnx")))
                return dir.FullName;
        }
        return null;
    });

    /// <summary>The repository root, or null when the tests run from a copy outside it.</summary>
    public static string? Value => Found.Value;
}
