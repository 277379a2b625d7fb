using System.Text.RegularExpressions;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// The CLI's configuration directories (<c>CLAUDE_CONFIG_DIR</c>). Each step gets its own under
/// <c>.orchestra/claude/&lt;step&gt;/</c>, so parallel instances never share (and corrupt) one configuration file. The
/// CLI keeps session transcripts there, in <c>projects/&lt;working directory, encoded&gt;/&lt;session&gt;.jsonl</c>;
/// resuming a session in another step copies its transcript across.
/// </summary>
public static partial class ClaudeConfigDirs
{
    /// <summary>The files a step's directory is seeded with from the user's own configuration directory, when they exist: the login and the user settings.</summary>
    public static readonly IReadOnlyList<string> SeededFiles = [".credentials.json", "settings.json"];

    private const int MaxProjectNameLength = 200;

    /// <summary>True when <paramref name="sessionId"/> can be a Claude Code session id (and is safe in a file name).</summary>
    public static bool IsValidSessionId(string? sessionId) => sessionId is not null && SessionIdShape().IsMatch(sessionId);

    /// <summary>
    /// The name of the folder under <c>projects/</c> in which the CLI keeps the sessions of working directory
    /// <paramref name="cwd"/>: every character other than an ASCII letter or digit becomes <c>-</c>; a name longer than
    /// 200 characters is cut there and followed by <c>-</c> and a hash of the path.
    /// </summary>
    public static string ProjectDirName(string cwd)
    {
        ArgumentNullException.ThrowIfNull(cwd);
        var chars = cwd.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var name = new string(chars);
        if (name.Length <= MaxProjectNameLength)
            return name;
        var hash = 0;
        foreach (var c in cwd)
            hash = unchecked((hash << 5) - hash + c);
        return $"{name[..MaxProjectNameLength]}-{ToBase36(Math.Abs((long)hash))}";
    }

    /// <summary>The user's own configuration directory: <c>CLAUDE_CONFIG_DIR</c> of <paramref name="environment"/>, else <c>$HOME/.claude</c>.</summary>
    public static string? UserConfigDir(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue("CLAUDE_CONFIG_DIR", out var dir) && !string.IsNullOrWhiteSpace(dir))
            return dir;
        return environment.TryGetValue("HOME", out var home) && !string.IsNullOrWhiteSpace(home) ? Path.Combine(home, ".claude") : null;
    }

    /// <summary>
    /// Creates <paramref name="configDir"/> and copies the <see cref="SeededFiles"/> it lacks from <paramref name="userConfigDir"/>,
    /// readable by the owner only. Returns the files copied.
    /// </summary>
    public static IReadOnlyList<string> Seed(string configDir, string? userConfigDir)
    {
        ArgumentNullException.ThrowIfNull(configDir);
        Directory.CreateDirectory(configDir);
        var copied = new List<string>();
        if (userConfigDir is null || SamePath(userConfigDir, configDir))
            return copied;
        foreach (var name in SeededFiles)
        {
            var source = Path.Combine(userConfigDir, name);
            var target = Path.Combine(configDir, name);
            if (!File.Exists(source) || File.Exists(target))
                continue;
            try
            {
                File.Copy(source, target);
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                copied.Add(target);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Without them the CLI still runs with an API key from the environment.
            }
        }
        return copied;
    }

    /// <summary>
    /// Finds the transcript of <paramref name="sessionId"/> under any of <paramref name="configDirs"/> (in their
    /// <c>projects/*/</c> folders); null when none has it.
    /// </summary>
    public static string? FindTranscript(IEnumerable<string> configDirs, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(configDirs);
        if (!IsValidSessionId(sessionId))
            return null;
        foreach (var dir in configDirs)
        {
            var projects = Path.Combine(dir, "projects");
            if (!Directory.Exists(projects))
                continue;
            foreach (var project in Directory.EnumerateDirectories(projects))
            {
                var file = Path.Combine(project, sessionId + ".jsonl");
                if (File.Exists(file))
                    return file;
            }
        }
        return null;
    }

    /// <summary>
    /// Makes session <paramref name="sessionId"/> resumable by a CLI that runs in <paramref name="cwd"/> with
    /// <paramref name="configDir"/>: copies its transcript (and the folder of the same name beside it, if any) into the
    /// place the CLI looks. False when no transcript was found.
    /// </summary>
    public static bool PrepareResume(string configDir, string cwd, string sessionId, IEnumerable<string> searchDirs)
    {
        ArgumentNullException.ThrowIfNull(configDir);
        ArgumentNullException.ThrowIfNull(cwd);
        if (!IsValidSessionId(sessionId))
            return false;
        var real = OperatingSystem.IsLinux() ? Libc.RealPath(cwd) ?? cwd : cwd;
        var targetDir = Path.Combine(configDir, "projects", ProjectDirName(real));
        var target = Path.Combine(targetDir, sessionId + ".jsonl");
        if (File.Exists(target))
            return true;
        if (FindTranscript([configDir, .. searchDirs], sessionId) is not { } source)
            return false;
        Directory.CreateDirectory(targetDir);
        File.Copy(source, target);
        var folder = Path.Combine(Path.GetDirectoryName(source)!, sessionId);
        if (Directory.Exists(folder))
            CopyTree(folder, Path.Combine(targetDir, sessionId));
        return true;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var dir in Directory.EnumerateDirectories(from))
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static string ToBase36(long value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        if (value == 0)
            return "0";
        var chars = new Stack<char>();
        while (value > 0)
        {
            chars.Push(digits[(int)(value % 36)]);
            value /= 36;
        }
        return new string(chars.ToArray());
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SessionIdShape();
}
