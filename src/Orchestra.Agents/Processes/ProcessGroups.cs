using System.Diagnostics;

namespace Orchestra.Agents.Processes;

/// <summary>
/// Stops a process and everything it started: processes started by <see cref="ProcessLauncher"/> lead their own
/// process group (pgid = pid), so one <c>kill(-pgid, …)</c> reaches the whole tree. Descendants that start a session
/// or group of their own (daemons) escape it.
/// </summary>
public static class ProcessGroups
{
    /// <summary>How often termination checks whether the group is gone.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// True when the group led by <paramref name="leader"/> may be signalled: the leader is the recorded process
    /// (same start time, zombie or not) or has gone. A pid now used by another process is never signalled. A pid is
    /// not reused while its process group still has members, so signalling a group whose leader has gone reaches
    /// only the leftovers of the recorded tree.
    /// </summary>
    public static bool MaySignal(ProcessIdentity leader) =>
        leader.Pid > 1 && (ProcessProbe.Read(leader.Pid) is not { } stat || stat.StartTime == leader.StartTime);

    /// <summary>Sends <paramref name="signal"/> to the group led by <paramref name="leader"/>, if <see cref="MaySignal"/> allows it. True when a process received it.</summary>
    public static bool Signal(ProcessIdentity leader, int signal) =>
        MaySignal(leader) && Libc.kill(-leader.Pid, signal) == 0;

    /// <summary>
    /// Stops the group led by <paramref name="leader"/>: SIGTERM, then SIGKILL for whatever is still running after
    /// <paramref name="gracePeriod"/>. When <paramref name="reapLeader"/> is true (the leader is this process's child)
    /// the leader is reaped and its status returned. Does nothing when <see cref="MaySignal"/> refuses.
    /// </summary>
    public static async Task<ExitStatus?> TerminateAsync(ProcessIdentity leader, TimeSpan gracePeriod, bool reapLeader)
    {
        if (!MaySignal(leader))
            return null;
        ExitStatus? status = null;
        void Reap()
        {
            if (reapLeader && status is null)
            {
                var state = ChildProcess.TryReap(leader.Pid, out var s);
                if (state == ReapState.Exited)
                    status = s;
                else if (state == ReapState.NotAChild)
                    reapLeader = false;
            }
        }

        if (Libc.kill(-leader.Pid, Libc.SIGTERM) != 0)
        {
            Reap();
            return status;
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Reap();
            if (ProcessProbe.LiveGroupMembers(leader.Pid).Count == 0)
                break;
            if (clock.Elapsed >= gracePeriod)
            {
                _ = Libc.kill(-leader.Pid, Libc.SIGKILL);
                break;
            }
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        // Reap the leader so that no zombie is left behind; SIGKILL takes effect at once, so this is short.
        for (var i = 0; reapLeader && status is null && i < 200; i++)
        {
            Reap();
            if (reapLeader && status is null)
                await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        return status;
    }

    /// <summary>
    /// Like <see cref="TerminateAsync"/>, and also stops the descendants of <paramref name="leader"/> that left its
    /// process group (programs that start their children in a session of their own, as Claude Code does with its shell
    /// commands): they are found before anything is signalled, get SIGTERM with the group, and SIGKILL when they are
    /// still running after the grace period. <paramref name="known"/> adds descendants seen earlier, which may have been
    /// handed to another parent since (when the leader has exited, its descendants can no longer be found).
    /// </summary>
    public static async Task<ExitStatus?> TerminateTreeAsync(ProcessIdentity leader, TimeSpan gracePeriod, bool reapLeader, IEnumerable<ProcessStat>? known = null)
    {
        if (!MaySignal(leader))
            return null;
        var escaped = (ProcessProbe.IsAlive(leader) ? ProcessProbe.Descendants(leader.Pid) : [])
            .Concat(known ?? [])
            .Where(d => d.ProcessGroup != leader.Pid)
            .DistinctBy(d => d.Identity)
            .ToList();
        foreach (var process in escaped)
            SignalEscaped(process, Libc.SIGTERM);
        var status = await TerminateAsync(leader, gracePeriod, reapLeader).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        while (escaped.Any(p => ProcessProbe.IsAlive(p.Identity)) && clock.Elapsed < gracePeriod)
            await Task.Delay(PollInterval).ConfigureAwait(false);
        foreach (var process in escaped)
            SignalEscaped(process, Libc.SIGKILL);
        return status;
    }

    /// <summary>Signals a descendant that left the tree's group: its own group when it leads one (its children go too), else itself.</summary>
    private static void SignalEscaped(ProcessStat process, int signal)
    {
        if (!ProcessProbe.IsAlive(process.Identity))
            return;
        _ = Libc.kill(process.ProcessGroup == process.Pid ? -process.Pid : process.Pid, signal);
    }
}
