using System.Diagnostics;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>
/// The pinned Codex CLI the end-to-end tests run: <c>ORCHESTRA_TEST_CODEX</c> when set, else
/// <c>&lt;repo&gt;/.tools/npm/node_modules/.bin/codex</c>, which <c>.ci/run</c> installs. When it is missing and npm is
/// there, the first test that needs it installs it (once, under a file lock shared with other test processes).
/// </summary>
internal static class CodexCli
{
    public const string Package = "@openai/codex@0.169.0";

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static string? Override => Environment.GetEnvironmentVariable("ORCHESTRA_TEST_CODEX") is { Length: > 0 } path ? path : null;

    public static string? ToolsDir => RepositoryRoot.Value is { } root ? Path.Combine(root, ".tools", "npm") : null;

    public static string? PinnedPath => ToolsDir is { } dir ? Path.Combine(dir, "node_modules", ".bin", "codex") : null;

    /// <summary>Why the end-to-end tests cannot run here, or null when they can.</summary>
    public static string? SkipReason
    {
        get
        {
            if (!OperatingSystem.IsLinux())
                return "the codex agent kind runs on Linux only for now";
            if (Override is { } path)
                return File.Exists(path) ? null : $"ORCHESTRA_TEST_CODEX names '{path}', which does not exist";
            var hint = $"install it with `npm install --no-audit --no-fund --prefix .tools/npm {Package}` (or run .ci/run), or point ORCHESTRA_TEST_CODEX at a codex {Package[(Package.LastIndexOf('@') + 1)..]} binary";
            if (OnPath("node") is null)
                return $"Node.js is not installed, so the Codex CLI cannot run: install Node.js and npm, then {hint}";
            if (PinnedPath is { } pinned && File.Exists(pinned))
                return null;
            if (OnPath("npm") is null)
                return $"the Codex CLI is not installed and npm is missing: {hint}";
            return ToolsDir is null ? $"the repository root (Orchestra.slnx) was not found above the test binaries: {hint}" : null;
        }
    }

    /// <summary>The CLI's path, installing the pinned version first when needed.</summary>
    public static async Task<string> RequireAsync()
    {
        if (Override is { } path)
            return path;
        var pinned = PinnedPath ?? throw new InvalidOperationException(SkipReason ?? "no repository root");
        if (File.Exists(pinned))
            return pinned;
        await InstallGate.WaitAsync();
        try
        {
            if (!File.Exists(pinned))
                await InstallAsync(ToolsDir!);
        }
        finally
        {
            InstallGate.Release();
        }
        return File.Exists(pinned) ? pinned : throw new InvalidOperationException($"npm install of {Package} did not create {pinned}");
    }

    private static async Task InstallAsync(string toolsDir)
    {
        Directory.CreateDirectory(toolsDir);
        var npm = OnPath("npm")!;
        // flock(1) serialises installs across test processes; without it, this process's gate has to do.
        var flock = OnPath("flock");
        var info = new ProcessStartInfo(flock ?? npm) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (flock is not null)
        {
            info.ArgumentList.Add(Path.Combine(toolsDir, "..", "npm-install.lock"));
            info.ArgumentList.Add(npm);
        }
        foreach (var a in new[] { "install", "--no-audit", "--no-fund", "--prefix", toolsDir, Package })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("npm could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"npm install of {Package} took longer than 5 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"npm install of {Package} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    private static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs the pinned Codex CLI: skipped, with how to install it, where it cannot run.</summary>
public sealed class CodexFactAttribute : FactAttribute
{
    public CodexFactAttribute()
    {
        if (CodexCli.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>A theory that needs the pinned Codex CLI: skipped, with how to install it, where it cannot run.</summary>
public sealed class CodexTheoryAttribute : TheoryAttribute
{
    public CodexTheoryAttribute()
    {
        if (CodexCli.SkipReason is { } reason)
            Skip = reason;
    }
}
