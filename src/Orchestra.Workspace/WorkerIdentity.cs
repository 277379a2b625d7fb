using System.Globalization;
using Orchestra.Agents.Processes;

namespace Orchestra.Workspace;

/// <summary>
/// Worker ids of the form <c>host/pid/start</c>, where <c>start</c> is the process's start time in clock
/// ticks since boot. On the same host, that is enough to tell for certain that a worker is gone, so its
/// leases can be reclaimed at once instead of waiting for them to expire.
/// </summary>
public static class WorkerIdentity
{
    /// <summary>An id for a worker in the current process.</summary>
    public static string ForCurrentProcess()
    {
        var pid = Environment.ProcessId;
        return $"{Environment.MachineName}/{pid}/{StartTime(pid)?.ToString(CultureInfo.InvariantCulture) ?? "0"}";
    }

    /// <summary>False only when the worker ran on this host and its process is certainly gone.</summary>
    public static bool IsAlive(string workerId)
    {
        var parts = workerId.Split('/');
        if (parts.Length != 3 || parts[0] != Environment.MachineName)
            return true;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var start) || start == 0)
            return true;
        if (!OperatingSystem.IsLinux())
            return true;
        return StartTime(pid) == start;
    }

    private static long? StartTime(int pid) => ProcessProbe.Read(pid) is { HasExited: false } stat ? stat.StartTime : null;
}
