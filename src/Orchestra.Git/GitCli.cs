using System.ComponentModel;
using System.Diagnostics;
using Orchestra.Core;

namespace Orchestra.Git;

/// <summary>
/// Runs the <c>git</c> command: one process per call, arguments as an argv list (never a shell), no pager, no
/// prompts, paths unquoted and messages in the C locale so that output can be parsed. Counts the time spent waiting
/// on git, so that callers can tell git's own work from theirs.
/// </summary>
public sealed class GitCli
{
    // Inherited settings that would point git at another repository or index than the one asked for.
    private static readonly string[] Unset = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_PREFIX"];

    private long _elapsedTicks;
    private long _calls;

    private readonly IReadOnlyDictionary<string, string>? _environment;

    /// <summary>Creates a runner for <paramref name="executable"/>.</summary>
    /// <param name="executable">The git program: a name looked up on PATH, or a path. <value>The default value is <c>git</c>.</value></param>
    /// <param name="environment">Variables set for every call (for example <c>GIT_CONFIG_GLOBAL</c>), or null.</param>
    public GitCli(string executable = "git", IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        Executable = executable;
        _environment = environment;
    }

    /// <summary>The git program.</summary>
    public string Executable { get; }

    /// <summary>Total time spent waiting on git processes, from start to exit, since this runner was created.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <summary>How many git processes this runner started.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Runs <c>git ARGS</c> in <paramref name="directory"/> and returns how it ended, whatever the exit code.</summary>
    /// <param name="directory">The working directory.</param>
    /// <param name="arguments">The arguments after <c>git</c>.</param>
    /// <param name="environment">Extra environment variables (for example <c>GIT_INDEX_FILE</c>), or null.</param>
    /// <param name="cancellationToken">Kills git when cancelled.</param>
    /// <exception cref="OrchestraException">git is not installed.</exception>
    public async Task<GitResult> RunAsync(string directory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var psi = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--no-pager");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("core.quotepath=off");
        foreach (var a in arguments)
            psi.ArgumentList.Add(a);
        foreach (var name in Unset)
            psi.Environment.Remove(name);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_PAGER"] = "cat";
        psi.Environment["LC_ALL"] = "C";
        // Reading commands (status, diff) must not take the index lock that a step's own git use may need.
        psi.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        foreach (var extra in new[] { _environment, environment })
        {
            foreach (var (k, v) in extra ?? new Dictionary<string, string>())
                psi.Environment[k] = v;
        }

        var start = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new OrchestraException(NotInstalled(Executable));
        }
        catch (Win32Exception)
        {
            throw new OrchestraException(NotInstalled(Executable));
        }
        Interlocked.Increment(ref _calls);
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }
                throw;
            }
            var result = new GitResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
            Interlocked.Add(ref _elapsedTicks, Stopwatch.GetElapsedTime(start).Ticks);
            return result;
        }
    }

    /// <summary>Runs git and returns its output; a non-zero exit code is an error naming the command and git's message.</summary>
    /// <exception cref="OrchestraException">git failed or is not installed.</exception>
    public async Task<string> CheckAsync(string directory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(directory, arguments, environment, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw Failed(directory, arguments, result);
        return result.Output;
    }

    /// <summary>The one-line error for a git command that failed.</summary>
    public static OrchestraException Failed(string directory, IReadOnlyList<string> arguments, GitResult result)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var verb = arguments.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal)) ?? "";
        return new OrchestraException($"git {verb} failed in {directory}: {result.FirstErrorLine}", ErrorKind.Environment);
    }

    private static string NotInstalled(string executable) =>
        $"git is not installed (could not run '{executable}'): install git (for example 'apt-get install git') and make sure it is on PATH.";
}
