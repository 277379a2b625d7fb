namespace Orchestra.Pipelines.Tests;

/// <summary>Files of the repository the tests were built from.</summary>
internal static class RepoFiles
{
    public static string Root { get; } = Find();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Orchestra.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (Orchestra.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
