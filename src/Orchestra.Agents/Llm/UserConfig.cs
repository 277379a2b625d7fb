namespace Orchestra.Agents.Llm;

/// <summary>Where the user's own Orchestra files live: <c>$ORCHESTRA_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/orchestra</c>, else <c>~/.config/orchestra</c>.</summary>
public static class UserConfig
{
    /// <summary>The user's configuration directory (it may not exist yet).</summary>
    public static string Directory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("ORCHESTRA_CONFIG_DIR") is { Length: > 0 } dir)
                return Path.GetFullPath(dir);
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var baseDir = xdg is { Length: > 0 } ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(baseDir, "orchestra");
        }
    }

    /// <summary><c>providers.yaml</c> in the user's directory.</summary>
    public static string ProvidersFile => Path.Combine(Directory, "providers.yaml");

    /// <summary><c>credentials.json</c> in the user's directory, readable by its owner only.</summary>
    public static string CredentialsFile => Path.Combine(Directory, "credentials.json");
}
