namespace Orchestra.Agents.Tools;

/// <summary>
/// Walks the files under a directory of a workspace in a stable order (ordinal by path), skipping directories that
/// hold tooling rather than source (<see cref="SkippedDirectories"/>) and never following a symbolic link to a
/// directory. A link to a file is listed only when it resolves to a file inside the workspace.
/// </summary>
internal static class WorkspaceWalker
{
    /// <summary>Directory names that are never entered: version control, build output, dependencies, Orchestra's state.</summary>
    public static readonly IReadOnlySet<string> SkippedDirectories =
        new HashSet<string>([".git", "bin", "obj", "node_modules", ".orchestra"], StringComparer.Ordinal);

    /// <summary>
    /// The files under <paramref name="start"/> (a canonical path inside <paramref name="root"/>), or
    /// <paramref name="start"/> itself when it is a file.
    /// </summary>
    public static IEnumerable<WalkedFile> Files(WorkspaceRoot root, string start, CancellationToken cancellationToken)
    {
        if (File.Exists(start))
        {
            yield return new WalkedFile(root.Relative(start), start, Path.GetFileName(start));
            yield break;
        }
        var pending = new Stack<(string Path, bool IsDirectory)>();
        pending.Push((start, true));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, isDirectory) = pending.Pop();
            if (!isDirectory)
            {
                var relative = root.Relative(path);
                if (IsLink(path))
                {
                    // Read through the link only when it stays inside the workspace and ends at a file.
                    if (!root.TryResolve(relative, PathAccess.Read, out var target, out _) || !File.Exists(target))
                        continue;
                    yield return new WalkedFile(relative, target, Path.GetRelativePath(start, path).Replace('\\', '/'));
                }
                else
                {
                    yield return new WalkedFile(relative, path, Path.GetRelativePath(start, path).Replace('\\', '/'));
                }
                continue;
            }
            List<FileSystemInfo> entries;
            try
            {
                entries = [.. new DirectoryInfo(path).EnumerateFileSystemInfos()];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            for (var i = entries.Count - 1; i >= 0; i--)
            {
                var entry = entries[i];
                var link = entry.LinkTarget is not null;
                if (entry is DirectoryInfo && !link)
                {
                    if (!SkippedDirectories.Contains(entry.Name))
                        pending.Push((entry.FullName, true));
                }
                else if (entry is FileInfo || link)
                {
                    pending.Push((entry.FullName, false));
                }
            }
        }
    }

    private static bool IsLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>One file found by the walk.</summary>
    /// <param name="Relative">Its path relative to the workspace root, as the model should name it.</param>
    /// <param name="FullPath">The path to read: the file itself, or the target of a link.</param>
    /// <param name="FromStart">Its path relative to where the walk started, for glob matching.</param>
    public readonly record struct WalkedFile(string Relative, string FullPath, string FromStart);
}
