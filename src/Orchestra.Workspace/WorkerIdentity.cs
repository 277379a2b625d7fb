using System.Globalization;

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

    /// <summary>The start time of a live (non-zombie) process from <c>/proc/&lt;pid&gt;/stat</c>, or null.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may contain spaces and parentheses: fields resume after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (rest[0] == "Z" || rest[0] == "X")
                return null;
            return long.Parse(rest[19], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
