using Orchestra.Core;

namespace Orchestra.Agents.Tools;

/// <summary>What a tool means to do with a path: writes are refused in more places than reads.</summary>
public enum PathAccess
{
    /// <summary>Read a file or list a directory.</summary>
    Read,
    /// <summary>Create or replace a file.</summary>
    Write,
}

/// <summary>
/// A directory that tools are confined to. Paths from the model are relative to it; <see cref="Resolve"/> refuses
/// absolute paths, <c>..</c> that climbs out, and symbolic links (in any component, the last included) that lead
/// out, by resolving the path component by component as the kernel would. It also refuses git's internal
/// directory <c>.git</c>, and <c>.orchestra</c> for writes.
/// </summary>
/// <remarks>
/// The check and the use of a path are separate system calls, so a process that can change the tree between them
/// (a <c>run_command</c> the agent is allowed to run, for instance) could swap a component for a link. The tools
/// themselves never create links.
/// </remarks>
public sealed class WorkspaceRoot
{
    /// <summary>Links followed while resolving one path before it is taken for a loop (Linux's own limit).</summary>
    private const int MaxLinks = 40;

    /// <summary>Confines tools to <paramref name="directory"/>, which must exist.</summary>
    /// <exception cref="OrchestraException">The directory does not exist.</exception>
    public WorkspaceRoot(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new OrchestraException("the workspace root must not be empty; pass the directory tools may use");
        var full = Canonicalize(Path.GetFullPath(directory)) ?? Path.GetFullPath(directory);
        if (!Directory.Exists(full))
            throw new OrchestraException($"the workspace root '{directory}' does not exist; create it or pass an existing directory", ErrorKind.NotFound);
        FullPath = full;
    }

    /// <summary>The root's canonical full path: absolute, with every symbolic link resolved.</summary>
    public string FullPath { get; }

    /// <summary>
    /// Resolves <paramref name="path"/>, relative to the root, to a canonical full path inside it (the file or
    /// directory need not exist). An empty path or <c>.</c> is the root itself.
    /// </summary>
    /// <exception cref="ToolException">The path leaves the root or names a place the access does not allow.</exception>
    public string Resolve(string path, PathAccess access = PathAccess.Read)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0', StringComparison.Ordinal))
            throw new ToolException($"path '{Printable(path)}' holds a NUL character; use a plain relative path");
        if (Path.IsPathRooted(path) || path.StartsWith('~'))
            throw new ToolException($"path '{path}' is outside the workspace; use a path relative to {FullPath}");

        var resolved = Canonicalize(Path.Join(FullPath, path))
            ?? throw new ToolException($"path '{path}' has too many levels of symbolic links; use a path without a link loop");
        if (!IsInside(resolved))
        {
            var lexical = Path.GetFullPath(Path.Join(FullPath, path));
            throw new ToolException(IsInside(lexical)
                ? $"path '{path}' leads outside the workspace through a symbolic link; use a path relative to {FullPath} that stays inside it"
                : $"path '{path}' is outside the workspace; use a path relative to {FullPath}");
        }

        var relative = Relative(resolved);
        var first = relative.Split('/')[0];
        if (relative.Split('/').Any(c => c.Equals(".git", StringComparison.OrdinalIgnoreCase)))
            throw new ToolException($"path '{path}' is inside git's internal directory .git; use git_diff for changes, or a path outside .git");
        if (access == PathAccess.Write)
        {
            if (first.Equals(".orchestra", StringComparison.OrdinalIgnoreCase))
                throw new ToolException($"path '{path}' is in Orchestra's state directory .orchestra, which tools may not write; write elsewhere in the workspace");
            if (relative == ".")
                throw new ToolException($"path '{path}' is the workspace root itself; name a file inside it");
        }
        return resolved;
    }

    /// <summary>Like <see cref="Resolve"/>, but returns false and the message instead of throwing.</summary>
    public bool TryResolve(string path, PathAccess access, out string fullPath, out string? error)
    {
        try
        {
            fullPath = Resolve(path, access);
            error = null;
            return true;
        }
        catch (ToolException ex)
        {
            fullPath = "";
            error = ex.Message;
            return false;
        }
    }

    /// <summary>True when the canonical full path <paramref name="fullPath"/> is the root or inside it.</summary>
    public bool IsInside(string fullPath)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        return fullPath == FullPath
            || fullPath.StartsWith(FullPath.EndsWith('/') ? FullPath : FullPath + "/", StringComparison.Ordinal);
    }

    /// <summary>The path of <paramref name="fullPath"/> (inside the root) relative to the root, with <c>/</c> separators; <c>.</c> for the root.</summary>
    public string Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(FullPath, fullPath).Replace('\\', '/');
        return relative.Length == 0 ? "." : relative;
    }

    /// <summary>
    /// Resolves every symbolic link in the absolute path <paramref name="absolute"/>, one component at a time, the
    /// way the kernel does: a <c>..</c> after a link climbs from the link's target. Components that do not exist are
    /// kept as written. Null when there are more than <see cref="MaxLinks"/> links (a loop).
    /// </summary>
    internal static string? Canonicalize(string absolute)
    {
        var done = new List<string>();
        var pending = new Stack<string>();
        PushComponents(pending, absolute);
        var links = 0;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (component.Length == 0 || component == ".")
                continue;
            if (component == "..")
            {
                if (done.Count > 0)
                    done.RemoveAt(done.Count - 1);
                continue;
            }
            var candidate = "/" + string.Join('/', done.Append(component));
            string? target;
            try
            {
                target = new FileInfo(candidate).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                target = null;
            }
            if (target is null)
            {
                done.Add(component);
                continue;
            }
            if (++links > MaxLinks)
                return null;
            if (target.StartsWith('/'))
                done.Clear();
            PushComponents(pending, target);
        }
        return "/" + string.Join('/', done);
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--)
            pending.Push(parts[i]);
    }

    private static string Printable(string path) => path.Replace("\0", "\\0", StringComparison.Ordinal);
}
