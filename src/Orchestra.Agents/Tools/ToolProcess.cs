using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.Tools;

/// <summary>What a tool asks <see cref="ToolProcess"/> to run.</summary>
/// <param name="Arguments">The argument vector, program first; each element reaches the program as one argument, no shell involved.</param>
/// <param name="WorkingDirectory">The directory it runs in.</param>
/// <param name="Environment">Its complete environment.</param>
/// <param name="Timeout">How long it may run before its process tree is killed.</param>
/// <param name="MaxOutputBytes">How much of standard output, and of standard error, is kept.</param>
internal sealed record ToolProcessSpec(
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan Timeout,
    int MaxOutputBytes);

/// <summary>How a tool's process ended and what it printed.</summary>
/// <param name="ExitCode">Its exit code (meaningless when <paramref name="TimedOut"/>).</param>
/// <param name="Stdout">Standard output, cut to the cap.</param>
/// <param name="Stderr">Standard error, cut to the cap.</param>
/// <param name="TimedOut">True when it ran past its timeout and was killed.</param>
/// <param name="Truncated">True when some output was left out.</param>
internal sealed record ToolProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, bool Truncated);

/// <summary>
/// Runs one short-lived process for a tool: argv only (no shell), its own environment, standard input closed,
/// output captured up to a cap, and the whole process tree killed on timeout or cancellation.
/// </summary>
internal static class ToolProcess
{
    public static async Task<ToolProcessResult> RunAsync(ToolProcessSpec spec, TimeProvider time, Action<int>? started, CancellationToken cancellationToken)
    {
        if (spec.Arguments.Count == 0 || string.IsNullOrWhiteSpace(spec.Arguments[0]))
            throw new ToolException("the command is empty; pass the program and its arguments as a list, such as [\"dotnet\", \"test\"]");
        var program = spec.Arguments[0];
        var resolved = ProcessLauncher.Resolve(program, spec.Environment, spec.WorkingDirectory)
            ?? throw new ToolException($"command '{program}' was not found" + (program.Contains('/', StringComparison.Ordinal) ? "" : " on PATH"));

        var info = new ProcessStartInfo
        {
            FileName = Path.IsPathRooted(resolved) ? resolved : Path.GetFullPath(Path.Combine(spec.WorkingDirectory, resolved)),
            WorkingDirectory = spec.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var argument in spec.Arguments.Skip(1))
        {
            if (argument.Contains('\0', StringComparison.Ordinal))
                throw new ToolException("a command argument holds a NUL character; remove it");
            info.ArgumentList.Add(argument);
        }
        info.Environment.Clear();
        foreach (var (key, value) in spec.Environment)
            info.Environment[key] = value;

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ToolException($"command '{program}' could not be started: {ex.Message}");
        }
        started?.Invoke(process.Id);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(spec.Timeout, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var stdout = ReadCappedAsync(process.StandardOutput.BaseStream, spec.MaxOutputBytes, stop.Token);
        var stderr = ReadCappedAsync(process.StandardError.BaseStream, spec.MaxOutputBytes, stop.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            // A background process the command left behind may hold the pipes open: read until it closes them or time is up.
            await Task.WhenAll(stdout, stderr).WaitAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        var (outText, outCut) = await CollectAsync(stdout).ConfigureAwait(false);
        var (errText, errCut) = await CollectAsync(stderr).ConfigureAwait(false);
        return new ToolProcessResult(timedOut ? -1 : process.ExitCode, outText, errText, timedOut, outCut || errCut);
    }

    /// <summary>The output of a tool's process as text for the model: the exit status, then standard output and standard error.</summary>
    public static string Format(ToolProcessResult result, TimeSpan timeout)
    {
        var text = new StringBuilder();
        text.Append(result.TimedOut
            ? $"timed out after {Core.Model.Durations.Format(timeout)}; the command and its child processes were killed\n"
            : $"exit code {result.ExitCode}\n");
        if (result.Stdout.Length > 0)
            text.Append("--- stdout ---\n").Append(result.Stdout).Append(result.Stdout.EndsWith('\n') ? "" : "\n");
        if (result.Stderr.Length > 0)
            text.Append("--- stderr ---\n").Append(result.Stderr).Append(result.Stderr.EndsWith('\n') ? "" : "\n");
        if (result.Truncated)
            text.Append("[output was cut; ask for less, for example by filtering]\n");
        return text.ToString();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }
    }

    private static async Task<(string Text, bool Cut)> CollectAsync(Task<(byte[] Bytes, bool Cut)> reader)
    {
        try
        {
            var (bytes, cut) = await reader.ConfigureAwait(false);
            return (Decode(bytes), cut);
        }
        catch (OperationCanceledException)
        {
            return ("", true);
        }
    }

    private static string Decode(byte[] bytes)
    {
        var text = new UTF8Encoding(false, false).GetString(bytes);
        // A cut in the middle of a character leaves a replacement character at the end; drop it.
        return text.EndsWith('\uFFFD') ? text[..^1] : text;
    }

    /// <summary>Reads <paramref name="stream"/> to its end, keeping the first <paramref name="cap"/> bytes.</summary>
    private static async Task<(byte[] Bytes, bool Cut)> ReadCappedAsync(Stream stream, int cap, CancellationToken cancellationToken)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var cut = false;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var room = cap - (int)kept.Length;
                if (room > 0)
                    kept.Write(buffer, 0, Math.Min(room, n));
                if (n > room)
                    cut = true;
            }
        }
        catch (OperationCanceledException)
        {
            cut = true;
        }
        catch (IOException)
        {
            // The pipe was closed under us (the process object was disposed).
        }
        return (kept.ToArray(), cut);
    }
}
