using System.Diagnostics;

namespace Orchestra.Cli.Tests;

/// <summary>Runs git in a harness's workspace, with the same environment the harness gives the command.</summary>
internal static class TestGit
{
    private static readonly string EmptyConfig = CreateEmptyConfig();

    /// <summary>Git in the harness, Orchestra's included, sees neither the machine's nor the user's configuration.</summary>
    public static void Isolate(CliHarness cli)
    {
        cli.Environment["GIT_CONFIG_GLOBAL"] = EmptyConfig;
        cli.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
    }

    /// <summary>Runs git with an author of its own (Orchestra's commits find none configured and use theirs).</summary>
    public static (int ExitCode, string Out) Run(CliHarness cli, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = cli.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-c", "user.name=Test", "-c", "user.email=test@example.com", .. args])
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in cli.Environment)
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output.Result.TrimEnd('\n'));
    }

    public static string Ok(CliHarness cli, params string[] args)
    {
        var (code, output) = Run(cli, args);
        Assert.True(code == 0, $"git {string.Join(' ', args)} exited {code}");
        return output;
    }

    private static string CreateEmptyConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestra-cli-testgit-{Environment.ProcessId}.gitconfig");
        File.WriteAllText(path, "");
        return path;
    }
}
