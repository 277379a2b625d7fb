using Orchestra.Agents.ClaudeCode;

namespace Orchestra.Agents.Tests.ClaudeCode;

public sealed class ClaudeConfigDirsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestra-claude-dirs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Project_folders_are_named_like_the_cli_names_them()
    {
        Assert.Equal("-tmp-ccx-work", ClaudeConfigDirs.ProjectDirName("/tmp/ccx/work"));
        Assert.Equal("-home-a-b-my-repo-v1-2", ClaudeConfigDirs.ProjectDirName("/home/a.b/my_repo/v1.2"));
        var longName = ClaudeConfigDirs.ProjectDirName("/" + new string('a', 300));
        Assert.Equal(200, longName.IndexOf('-', 1));
        Assert.Matches("^-a{199}-[0-9a-z]+$", longName);
    }

    [Fact]
    public void Session_ids_must_be_safe_names()
    {
        Assert.True(ClaudeConfigDirs.IsValidSessionId("fbf77d7e-f895-46fb-b1fe-a96dc06371cb"));
        Assert.False(ClaudeConfigDirs.IsValidSessionId("../etc/passwd"));
        Assert.False(ClaudeConfigDirs.IsValidSessionId(""));
        Assert.False(ClaudeConfigDirs.IsValidSessionId(null));
    }

    [Fact]
    public void Seeding_copies_the_login_and_settings_for_the_owner_only_and_nothing_else()
    {
        var user = Directory.CreateDirectory(Path.Combine(_root, "user")).FullName;
        File.WriteAllText(Path.Combine(user, ".credentials.json"), "{}");
        File.WriteAllText(Path.Combine(user, "settings.json"), "{}");
        File.WriteAllText(Path.Combine(user, "history.jsonl"), "");
        var step = Path.Combine(_root, "step");

        var copied = ClaudeConfigDirs.Seed(step, user);

        Assert.Equal(2, copied.Count);
        Assert.True(File.Exists(Path.Combine(step, ".credentials.json")));
        Assert.False(File.Exists(Path.Combine(step, "history.jsonl")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(step, ".credentials.json")));
        Assert.Empty(ClaudeConfigDirs.Seed(step, Path.Combine(_root, "missing")));
    }

    [Fact]
    public void The_user_config_dir_is_claude_config_dir_or_home_dot_claude()
    {
        Assert.Equal("/c", ClaudeConfigDirs.UserConfigDir(new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = "/c", ["HOME"] = "/h" }));
        Assert.Equal("/h/.claude", ClaudeConfigDirs.UserConfigDir(new Dictionary<string, string> { ["HOME"] = "/h" }));
        Assert.Null(ClaudeConfigDirs.UserConfigDir(new Dictionary<string, string>()));
    }

    [Fact]
    public void Resuming_copies_the_transcript_to_where_the_cli_looks_for_the_new_working_directory()
    {
        const string id = "fbf77d7e-f895-46fb-b1fe-a96dc06371cb";
        var old = Path.Combine(_root, "old");
        var oldProject = Directory.CreateDirectory(Path.Combine(old, "projects", "-somewhere-else")).FullName;
        File.WriteAllText(Path.Combine(oldProject, id + ".jsonl"), "{\"x\":1}\n");
        Directory.CreateDirectory(Path.Combine(oldProject, id, "tool-results"));
        File.WriteAllText(Path.Combine(oldProject, id, "tool-results", "a.txt"), "big");
        var cwd = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;
        var target = Path.Combine(_root, "new");

        Assert.True(ClaudeConfigDirs.PrepareResume(target, cwd, id, [old]));
        Assert.False(ClaudeConfigDirs.PrepareResume(target, cwd, "0000-missing", [old]));

        var project = Path.Combine(target, "projects", ClaudeConfigDirs.ProjectDirName(cwd));
        Assert.Equal("{\"x\":1}\n", File.ReadAllText(Path.Combine(project, id + ".jsonl")));
        Assert.Equal("big", File.ReadAllText(Path.Combine(project, id, "tool-results", "a.txt")));
        Assert.Equal(Path.Combine(oldProject, id + ".jsonl"), ClaudeConfigDirs.FindTranscript([old], id));
    }
}
