using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>What waiting for the CLI's next line produced.</summary>
internal enum LineWait
{
    /// <summary>A line.</summary>
    Line,
    /// <summary>The CLI closed its standard output.</summary>
    EndOfOutput,
    /// <summary>Nothing within the time allowed.</summary>
    TimedOut,
    /// <summary>The caller's token fired.</summary>
    Cancelled,
}

/// <summary>
/// A running CLI in its own process group, with pipes on its standard input and output. Its standard error, and
/// every line it writes to standard output, are appended to the step's log. A background task reads standard output
/// (the reads block, and a blocked read cannot be cancelled), so that waiting for a line can time out.
/// </summary>
internal sealed class ClaudeProcess : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Stream _input;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _reader;
    private readonly List<ProcessStat> _descendants = [];
    private bool _inputClosed;
    private ExitStatus? _exit;
    private bool _reaped;

    private ClaudeProcess(ProcessIdentity identity, Stream input, Stream output, string log)
    {
        Identity = identity;
        _input = input;
        _reader = Task.Run(() => ReadAsync(output, log));
    }

    /// <summary>The process, which leads its own process group.</summary>
    public ProcessIdentity Identity { get; }

    /// <summary>How the process ended, once it has been reaped.</summary>
    public ExitStatus? Exit => _exit;

    /// <summary>Starts the CLI; on failure, the launch result says why.</summary>
    public static ClaudeProcess? Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string cwd, string log, out LaunchResult launch)
    {
        launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = argv,
            Environment = environment,
            WorkingDirectory = cwd,
            OutputFile = log,
            PipeStandardStreams = true,
        });
        if (launch.Process is not { } identity || launch.StandardInput is not { } input || launch.StandardOutput is not { } output)
            return null;
        return new ClaudeProcess(identity, input, output, log);
    }

    /// <summary>Writes one message as a line to the CLI's standard input. False when the CLI no longer reads it.</summary>
    public bool Send(JsonObject message)
    {
        if (_inputClosed)
            return false;
        try
        {
            _input.Write(Utf8.GetBytes(message.ToJsonString() + "\n"));
            _input.Flush();
            return true;
        }
        catch (IOException)
        {
            // The CLI has gone (a broken pipe); its output tells the rest.
            return false;
        }
    }

    /// <summary>
    /// Notes the CLI's descendants that left its process group (shells it runs in sessions of their own), so that they
    /// can still be stopped after the CLI has exited and they have been handed to another parent.
    /// </summary>
    public void RememberDescendants()
    {
        if (!_reaped)
            _descendants.AddRange(ProcessProbe.Descendants(Identity.Pid).Where(d => d.ProcessGroup != Identity.Pid));
    }

    /// <summary>Closes the CLI's standard input (once the CLI's descendants are noted): it finishes and exits.</summary>
    public void CloseInput()
    {
        if (_inputClosed)
            return;
        RememberDescendants();
        _inputClosed = true;
        try
        {
            _input.Dispose();
        }
        catch (IOException)
        {
            // Already broken: nothing more to tell the CLI.
        }
    }

    /// <summary>Waits for the next line of output, for at most <paramref name="wait"/> (null: no limit).</summary>
    public async Task<(LineWait Result, string? Line)> NextLineAsync(TimeSpan? wait, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_lines.Reader.TryRead(out var line))
            return (LineWait.Line, line);
        if (wait is { } w && w <= TimeSpan.Zero)
            return (LineWait.TimedOut, null);
        using var timeout = wait is { } limit ? new CancellationTokenSource(limit, time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (!await _lines.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                return (LineWait.EndOfOutput, null);
        }
        catch (OperationCanceledException)
        {
            return cancellationToken.IsCancellationRequested ? (LineWait.Cancelled, null) : (LineWait.TimedOut, null);
        }
        return _lines.Reader.TryRead(out line) ? (LineWait.Line, line) : (LineWait.TimedOut, null);
    }

    /// <summary>Waits up to <paramref name="limit"/> for the process to exit by itself; true when it has.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (TryReap())
                return true;
            if (clock.Elapsed >= limit)
                return false;
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops whatever is left of the process tree (SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>): the
    /// CLI's process group, and the shells it started in sessions of their own. Reaps the CLI.
    /// </summary>
    public async Task StopGroupAsync(TimeSpan gracePeriod)
    {
        var status = await ProcessGroups.TerminateTreeAsync(Identity, gracePeriod, reapLeader: !_reaped, _descendants).ConfigureAwait(false);
        if (!_reaped && status is not null)
        {
            _exit = status;
            _reaped = true;
        }
    }

    /// <summary>Closes standard input, stops the group if the CLI has not been reaped, and lets the reader finish.</summary>
    public async ValueTask DisposeAsync()
    {
        CloseInput();
        if (!_reaped)
            await StopGroupAsync(TimeSpan.Zero).ConfigureAwait(false);
        // The reader ends when the last writer of the pipe has gone; a descendant that left the group may hold it.
        await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
    }

    private bool TryReap()
    {
        if (_reaped)
            return true;
        switch (ChildProcess.TryReap(Identity.Pid, out var status))
        {
            case ReapState.Exited:
                _exit = status;
                _reaped = true;
                return true;
            case ReapState.NotAChild:
                _reaped = true;
                return true;
            default:
                return false;
        }
    }

    private async Task ReadAsync(Stream output, string log)
    {
        FileStream? logStream = null;
        try
        {
            try
            {
                logStream = Libc.OpenAppend(log);
            }
            catch (IOException)
            {
                // The transcript still reaches the events; only the log copy is lost.
            }
            using var reader = new StreamReader(output, Utf8);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (logStream is not null)
                {
                    try
                    {
                        logStream.Write(Utf8.GetBytes(line + "\n"));
                    }
                    catch (IOException)
                    {
                        await logStream.DisposeAsync().ConfigureAwait(false);
                        logStream = null;
                    }
                }
                _lines.Writer.TryWrite(line);
            }
        }
        catch (IOException)
        {
            // The pipe broke: the same as the end of output.
        }
        finally
        {
            if (logStream is not null)
                await logStream.DisposeAsync().ConfigureAwait(false);
            _lines.Writer.TryComplete();
        }
    }
}
