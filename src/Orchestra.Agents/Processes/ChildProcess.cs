namespace Orchestra.Agents.Processes;

/// <summary>How a process ended.</summary>
/// <param name="Code">The exit code, when it exited.</param>
/// <param name="Signal">The signal that killed it, when one did.</param>
public readonly record struct ExitStatus(int? Code, int? Signal)
{
    /// <summary>Decodes a <c>waitpid</c> status word.</summary>
    public static ExitStatus FromWaitStatus(int status)
    {
        var signal = status & 0x7f;
        return signal == 0 ? new ExitStatus((status >> 8) & 0xff, null) : new ExitStatus(null, signal);
    }

    /// <inheritdoc />
    public override string ToString() => Signal is { } s ? $"killed by signal {s}" : $"exit code {Code}";
}

/// <summary>What <see cref="ChildProcess.TryReap"/> found.</summary>
public enum ReapState
{
    /// <summary>The child is still running.</summary>
    Running,
    /// <summary>The child ended and has been reaped; its status is known.</summary>
    Exited,
    /// <summary>The process is not (or no longer) a child of this process: watch it through <see cref="ProcessProbe"/> instead.</summary>
    NotAChild,
}

/// <summary>Waits for children of this process without blocking (<c>waitpid</c> with <c>WNOHANG</c>).</summary>
public static unsafe class ChildProcess
{
    /// <summary>
    /// Reaps <paramref name="pid"/> if it has ended. Call it only for a pid known to be this process's child
    /// (its start time checked), so that no other waiter's child is reaped.
    /// </summary>
    public static ReapState TryReap(int pid, out ExitStatus status)
    {
        status = default;
        if (pid <= 0)
            return ReapState.NotAChild;
        while (true)
        {
            int raw;
            var rc = Libc.waitpid(pid, &raw, Libc.WNOHANG);
            if (rc == pid)
            {
                status = ExitStatus.FromWaitStatus(raw);
                return ReapState.Exited;
            }
            if (rc == 0)
                return ReapState.Running;
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Libc.EINTR)
                continue;
            return ReapState.NotAChild;
        }
    }

    /// <summary>
    /// True when <paramref name="process"/> has ended; <paramref name="exit"/> is set when its status could be read.
    /// While <paramref name="mayBeChild"/> it is reaped as this process's child; once it turns out not to be one (a
    /// process adopted after a restart), only its liveness is probed.
    /// </summary>
    public static bool HasEnded(ProcessIdentity process, ref bool mayBeChild, ref ExitStatus? exit)
    {
        if (mayBeChild)
        {
            switch (TryReap(process.Pid, out var status))
            {
                case ReapState.Exited:
                    exit = status;
                    mayBeChild = false;
                    return true;
                case ReapState.NotAChild:
                    mayBeChild = false;
                    break;
                default:
                    return false;
            }
        }
        return !ProcessProbe.IsAlive(process);
    }
}
