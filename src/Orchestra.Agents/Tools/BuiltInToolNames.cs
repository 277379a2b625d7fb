namespace Orchestra.Agents.Tools;

/// <summary>The names of the tools Orchestra provides itself, and the permission each one needs.</summary>
public static class BuiltInToolNames
{
    /// <summary>Reads a text file.</summary>
    public const string ReadFile = "read_file";

    /// <summary>Lists files.</summary>
    public const string ListFiles = "list_files";

    /// <summary>Searches file contents with a regular expression.</summary>
    public const string SearchCode = "search_code";

    /// <summary>Shows <c>git diff</c>.</summary>
    public const string GitDiff = "git_diff";

    /// <summary>Creates or replaces a file; needs <see cref="ToolPermission.Write"/>.</summary>
    public const string WriteFile = "write_file";

    /// <summary>Runs an allowed command; needs <see cref="ToolPermission.Run"/>.</summary>
    public const string RunCommand = "run_command";

    /// <summary>The tools an agent gets when it names none: the ones that only read.</summary>
    public static IReadOnlyList<string> ReadOnly { get; } = [ReadFile, ListFiles, SearchCode, GitDiff];

    /// <summary>Every built-in tool, in the order they are listed.</summary>
    public static IReadOnlyList<string> All { get; } = [ReadFile, ListFiles, SearchCode, GitDiff, WriteFile, RunCommand];

    /// <summary>The permission <paramref name="name"/> needs, or null when it is not a built-in tool.</summary>
    public static ToolPermission? RequiredPermission(string name) => name switch
    {
        ReadFile or ListFiles or SearchCode or GitDiff => ToolPermission.Read,
        WriteFile => ToolPermission.Write,
        RunCommand => ToolPermission.Run,
        _ => null,
    };
}
