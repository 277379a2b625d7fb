using System.Globalization;
using System.Text;

namespace Orchestra.Agents.Codex;

/// <summary>
/// The <c>CODEX_HOME</c> a step runs with: <c>.orchestra/codex/&lt;step&gt;/</c>. Codex keeps its configuration, its
/// session files (<c>sessions/**/rollout-*-&lt;thread&gt;.jsonl</c>) and its databases there, so steps running at once
/// never share them. The directory also holds what Orchestra hands the CLI: <c>prompt.md</c> (its standard input) and
/// <c>output-schema.json</c>.
/// </summary>
public static class CodexHome
{
    /// <summary>The name of the model provider Orchestra declares for <see cref="CodexAgentOptions.BaseUrl"/>.</summary>
    public const string ProviderName = "orchestra";

    /// <summary><c>.orchestra/codex/</c>.</summary>
    public static string Root(OrchestraPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Path.Combine(paths.StateDir, "codex");
    }

    /// <summary><c>.orchestra/codex/&lt;step&gt;/</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="stepId"/> is not a valid step id.</exception>
    public static string For(OrchestraPaths paths, string stepId)
    {
        ArgumentNullException.ThrowIfNull(paths);
        // LogFile checks the id; the same check keeps a hostile id out of this path.
        _ = paths.LogFile(stepId);
        return Path.Combine(Root(paths), stepId);
    }

    /// <summary>The prompt file in <paramref name="home"/>.</summary>
    public static string PromptFile(string home) => Path.Combine(home, "prompt.md");

    /// <summary>The output schema file in <paramref name="home"/>.</summary>
    public static string SchemaFile(string home) => Path.Combine(home, "output-schema.json");

    /// <summary>
    /// The user's own Codex home, where <c>codex login</c> and hand-written configuration live: <c>CODEX_HOME</c> from
    /// <paramref name="env"/> or this process's environment, else <c>~/.codex</c>. Null when there is no home directory.
    /// </summary>
    public static string? UserHome(IReadOnlyDictionary<string, string> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.TryGetValue("CODEX_HOME", out var set) && set.Length > 0)
            return set;
        if (Environment.GetEnvironmentVariable("CODEX_HOME") is { Length: > 0 } inherited)
            return inherited;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length == 0 ? null : Path.Combine(home, ".codex");
    }

    /// <summary>
    /// Makes <paramref name="home"/> ready for an attempt: creates it, starts from the user's configuration when
    /// <see cref="CodexAgentOptions.UserConfig"/> is set (copies <c>config.toml</c>, <c>AGENTS.md</c> and
    /// <c>*.config.toml</c>, links <c>auth.json</c>), and appends the <c>[model_providers.orchestra]</c> table when the
    /// agent names a <see cref="CodexAgentOptions.BaseUrl"/>. Session files of earlier attempts stay.
    /// </summary>
    public static void Prepare(string home, CodexAgentOptions options, string? userHome, string agentName)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(home);
        var config = new StringBuilder();
        var auth = Path.Combine(home, "auth.json");
        if (File.Exists(auth) || new FileInfo(auth).LinkTarget is not null)
            File.Delete(auth);
        if (options.UserConfig && userHome is not null && Directory.Exists(userHome)
            && Path.GetFullPath(userHome) != Path.GetFullPath(home))
        {
            if (File.Exists(Path.Combine(userHome, "config.toml")))
                config.Append(File.ReadAllText(Path.Combine(userHome, "config.toml"))).Append('\n');
            foreach (var file in Directory.EnumerateFiles(userHome, "*.config.toml").Append(Path.Combine(userHome, "AGENTS.md")))
            {
                if (File.Exists(file))
                    File.Copy(file, Path.Combine(home, Path.GetFileName(file)), overwrite: true);
            }
            // A link, not a copy: the login stays in one place, and a token Codex refreshes is refreshed for the user too.
            if (File.Exists(Path.Combine(userHome, "auth.json")))
                File.CreateSymbolicLink(auth, Path.GetFullPath(Path.Combine(userHome, "auth.json")));
        }
        if (options.BaseUrl is { } url)
        {
            config.Append(CultureInfo.InvariantCulture, $"\n# Written by Orchestra for agent '{Toml(agentName)}': the endpoint named by its base_url.\n");
            config.Append(CultureInfo.InvariantCulture, $"[model_providers.{ProviderName}]\n");
            config.Append(CultureInfo.InvariantCulture, $"name = \"{Toml($"Orchestra ({agentName})")}\"\n");
            config.Append(CultureInfo.InvariantCulture, $"base_url = \"{Toml(url)}\"\n");
            config.Append("wire_api = \"responses\"\n");
            if (options.ApiKeyEnv is { } keyEnv)
                config.Append(CultureInfo.InvariantCulture, $"env_key = \"{Toml(keyEnv)}\"\n");
        }
        var configFile = Path.Combine(home, "config.toml");
        if (config.Length > 0)
            File.WriteAllText(configFile, config.ToString());
        else
            File.Delete(configFile);
    }

    /// <summary>The session file of thread <paramref name="threadId"/> in <paramref name="home"/>, or null.</summary>
    public static string? FindRollout(string home, string threadId)
    {
        ArgumentNullException.ThrowIfNull(threadId);
        var sessions = Path.Combine(home, "sessions");
        if (!Directory.Exists(sessions))
            return null;
        return Directory.EnumerateFiles(sessions, $"rollout-*-{threadId}.jsonl", SearchOption.AllDirectories)
            .OrderBy(f => f, StringComparer.Ordinal)
            .LastOrDefault();
    }

    /// <summary>
    /// Copies the session file of <paramref name="threadId"/> from <paramref name="fromHome"/> (the home of the step
    /// that last extended the thread) into <paramref name="toHome"/>, at the same relative path, so that
    /// <c>codex exec resume</c> finds it. False when the source has no such file.
    /// </summary>
    public static bool ImportRollout(string fromHome, string toHome, string threadId)
    {
        if (FindRollout(fromHome, threadId) is not { } source)
            return false;
        var target = Path.Combine(toHome, Path.GetRelativePath(fromHome, source));
        if (Path.GetFullPath(source) == Path.GetFullPath(target))
            return true;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
        return true;
    }

    /// <summary>Escapes text for a TOML basic string.</summary>
    internal static string Toml(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
