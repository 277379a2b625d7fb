using System.Diagnostics;

namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>
/// Finds the pinned Claude Code CLI for end-to-end tests: <c>ORCHESTRA_TEST_CLAUDE</c>, else
/// <c>&lt;repo&gt;/.tools/npm/node_modules/.bin/claude</c> (what <c>.ci/run</c> installs). When neither exists but npm
/// does, the first test that needs it installs the pinned packages there once, under a file lock.
/// </summary>
internal static class ClaudeCli
{
    /// <summary>The pinned packages, the same line <c>.ci/run</c> installs.</summary>
    public static readonly string[] Packages = ["@anthropic-ai/claude-code@2.1.197", "@openai/codex@0.169.0"];

    public const string Variable = "ORCHESTRA_TEST_CLAUDE";

    /// <summary>The machine-wide mutex held while npm installs the pinned CLIs.</summary>
    public const string MutexName = "Global\\orchestra-test-npm-install";

    private static readonly Lazy<string> Installed = new(Install);

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Orchestra.slnx")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("the repository root (Orchestra.slnx) was not found above " + AppContext.BaseDirectory);
        }
    }

    private static string ToolsPrefix => Path.Combine(RepoRoot, ".tools", "npm");

    /// <summary>The CLI if it is there now, else null.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : null;
        var pinned = Path.Combine(ToolsPrefix, "node_modules", ".bin", "claude");
        return File.Exists(pinned) ? pinned : null;
    }

    /// <summary>Why the end-to-end tests cannot run here, or null when they can.</summary>
    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux())
            return "the claude-code agent kind runs on Linux only for now";
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured && !File.Exists(configured))
            return $"{Variable} names '{configured}', which does not exist: fix it or unset it";
        if (Find() is not null || OnPath("npm"))
            return null;
        return "the Claude Code CLI is not installed and npm was not found: install Node.js, then run "
            + $"`npm install --prefix .tools/npm {string.Join(' ', Packages)}` in the repository (or set {Variable})";
    }

    /// <summary>The CLI, installing the pinned packages first when needed.</summary>
    public static string Locate() => Find() ?? Installed.Value;

    private static string Install()
    {
        Directory.CreateDirectory(ToolsPrefix);
        // One install at a time, across test processes too (the codex tests install the same line).
        using var mutex = new Mutex(initiallyOwned: false, MutexName);
        if (!mutex.WaitOne(TimeSpan.FromMinutes(6)))
            throw new InvalidOperationException("another test process has been installing the pinned CLIs for 6 minutes");
        try
        {
            return Find() ?? RunNpm();
        }
        finally
        {
            mutex.ReleaseMutex();
        }
    }

    private static string RunNpm()
    {
        var start = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["install", "--no-audit", "--no-fund", "--save-exact", "--prefix", ToolsPrefix, .. Packages])
            start.ArgumentList.Add(arg);
        using var npm = Process.Start(start)!;
        var output = npm.StandardOutput.ReadToEndAsync();
        var error = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            npm.Kill(entireProcessTree: true);
            throw new InvalidOperationException("npm install of the pinned CLIs took more than 5 minutes");
        }
        if (npm.ExitCode != 0 || Find() is not { } cli)
            throw new InvalidOperationException($"npm install of the pinned CLIs failed (exit code {npm.ExitCode}): {error.Result}{output.Result}");
        return cli;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}

/// <summary>A test that drives the real Claude Code CLI: skipped, with the way to install it, where it cannot run.</summary>
public sealed class ClaudeCliFactAttribute : FactAttribute
{
    public ClaudeCliFactAttribute()
    {
        Skip = ClaudeCli.SkipReason();
    }
}

/// <summary>A theory that drives the real Claude Code CLI: skipped, with the way to install it, where it cannot run.</summary>
public sealed class ClaudeCliTheoryAttribute : TheoryAttribute
{
    public ClaudeCliTheoryAttribute()
    {
        Skip = ClaudeCli.SkipReason();
    }
}
