using Orchestra.Core.Model;

namespace Orchestra.Git.Tests;

/// <summary>
/// A real git repository in a temporary folder with one commit, used as a workspace (<c>.orchestra/</c> inside and
/// ignored, as <c>orchestra init</c> leaves it). Git runs without the machine's global and system configuration.
/// </summary>
public sealed class TestRepo : IDisposable
{
    private static readonly string EmptyConfig = CreateEmptyConfig();

    public TestRepo(bool withIdentity = true, IReadOnlyDictionary<string, string>? files = null, string? root = null)
    {
        Root = root ?? Directory.CreateTempSubdirectory("orchestra-git-").FullName;
        Owned = root is null;
        Directory.CreateDirectory(Root);
        Git("init", "--quiet", "--initial-branch=main");
        if (withIdentity)
        {
            Git("config", "user.name", "Test User");
            Git("config", "user.email", "test@example.com");
        }
        Write(".orchestra/.gitignore", "worktrees/\nlogs/\n");
        Write(".gitignore", ".env\n");
        Write("README.md", "hello\n");
        foreach (var (path, content) in files ?? new Dictionary<string, string>())
            Write(path, content);
        Git("add", "-A");
        Git("-c", "user.name=Setup", "-c", "user.email=setup@example.com", "commit", "--quiet", "-m", "initial");
    }

    public string Root { get; }

    private bool Owned { get; }

    /// <summary>A git runner isolated from the machine's configuration.</summary>
    public static GitCli Cli { get; } = new("git", new Dictionary<string, string>
    {
        ["GIT_CONFIG_GLOBAL"] = EmptyConfig,
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    });

    public static string NewRunId() => Ids.NewRunId(TimeProvider.System);

    public static string NewStepId() => Ids.NewStepId(TimeProvider.System);

    public GitWorkspace Workspace(IReadOnlyList<string>? copy = null, IReadOnlyDictionary<string, string>? repos = null) =>
        new(new GitWorkspaceOptions { Root = Root, Git = Cli, Copy = copy ?? [], Repos = repos ?? new Dictionary<string, string>() });

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string Git(params string[] args) => GitIn(Root, args);

    public static string GitIn(string directory, params string[] args)
    {
        var result = Cli.RunAsync(directory, args).GetAwaiter().GetResult();
        if (!result.Succeeded)
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result.Error}");
        return result.Output.TrimEnd('\n');
    }

    /// <summary>A file's content at a revision, or null when it has no such file.</summary>
    public string? Show(string revision, string path)
    {
        var result = Cli.RunAsync(Root, ["show", $"{revision}:{path}"]).GetAwaiter().GetResult();
        return result.Succeeded ? result.Output : null;
    }

    public bool BranchExists(string branch) =>
        Cli.RunAsync(Root, ["rev-parse", "--verify", "--quiet", "refs/heads/" + branch]).GetAwaiter().GetResult().Succeeded;

    private static string CreateEmptyConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestra-git-tests-{Environment.ProcessId}.gitconfig");
        File.WriteAllText(path, "");
        return path;
    }

    public void Dispose()
    {
        if (!Owned)
            return;
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the OS to clean.
        }
    }
}
