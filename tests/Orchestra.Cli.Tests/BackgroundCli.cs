using System.Diagnostics;
using System.Text;

namespace Orchestra.Cli.Tests;

/// <summary>
/// An orchestra command running in the background. <see cref="Kill"/> sends SIGKILL to its pid only, so that
/// processes it started in sessions of their own survive it, as they would a crash. Disposing kills it if it still runs.
/// </summary>
public sealed class BackgroundCli : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly string _command;

    internal BackgroundCli(ProcessStartInfo startInfo, string[] args)
    {
        _command = "orchestra " + string.Join(' ', args);
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => Append(_out, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_err, e.Data);
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = _process.Id;
    }

    public int Pid { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What it printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_out)
            lock (_err)
                return $"{_command} (pid {Pid}) stdout: {_out} stderr: {_err}";
        }
    }

    /// <summary>SIGKILL to this process alone, then waits until it is reaped.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
        _process.WaitForExit();
    }

    /// <summary>Waits for it to exit on its own; kills it and fails when it does not within <paramref name="limit"/>.</summary>
    public CliResult WaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit))
        {
            Kill();
            throw new TimeoutException($"{Output}: did not finish within {limit}");
        }
        _process.WaitForExit();
        lock (_out)
        lock (_err)
            return new CliResult(_process.ExitCode, _out.ToString(), _err.ToString());
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
            return;
        lock (to)
            to.Append(line).Append('\n');
    }
}
