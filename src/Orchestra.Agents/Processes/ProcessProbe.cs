using System.Globalization;

namespace Orchestra.Agents.Processes;

/// <summary>A process as <c>/proc/&lt;pid&gt;/stat</c> describes it.</summary>
/// <param name="Pid">The process id.</param>
/// <param name="State">The state letter: <c>R</c>, <c>S</c>, <c>D</c>, <c>Z</c> (zombie), <c>X</c> (dead), ...</param>
/// <param name="ProcessGroup">The process group id.</param>
/// <param name="Session">The session id.</param>
/// <param name="StartTime">When the process started, in clock ticks after boot (field 22). With the pid, it names one process: pids are reused, start times are not.</param>
public readonly record struct ProcessStat(int Pid, char State, int ProcessGroup, int Session, long StartTime)
{
    /// <summary>True for a zombie or dead process: it has exited, whether or not it has been reaped.</summary>
    public bool HasExited => State is 'Z' or 'X';

    /// <summary>The parent's pid (field 4).</summary>
    public int ParentPid { get; init; }

    /// <summary>The pid and start time.</summary>
    public ProcessIdentity Identity => new(Pid, StartTime);
}

/// <summary>
/// Looks at processes through <c>/proc</c> (Linux). A process is identified by its pid and its start time, so that a
/// pid reused by an unrelated process is never taken for the one that was recorded.
/// </summary>
public static class ProcessProbe
{
    /// <summary>Reads <c>/proc/&lt;pid&gt;/stat</c>; null when there is no such process (or no <c>/proc</c>).</summary>
    public static ProcessStat? Read(int pid)
    {
        if (pid <= 0)
            return null;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(pid, text);
    }

    /// <summary>Parses the text of a <c>/proc/&lt;pid&gt;/stat</c> file; null when it is malformed.</summary>
    public static ProcessStat? Parse(int pid, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length)
            return null;
        var fields = text[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 20 || fields[0].Length != 1)
            return null;
        if (!int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent)
            || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group)
            || !int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
            || !long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start))
            return null;
        return new ProcessStat(pid, fields[0][0], group, session, start) { ParentPid = parent };
    }

    /// <summary>The start time of <paramref name="pid"/>, or null when there is no such process.</summary>
    public static long? StartTime(int pid) => Read(pid)?.StartTime;

    /// <summary>True when <paramref name="pid"/> is running and is the process that started at <paramref name="startTime"/>. Zombies count as dead.</summary>
    public static bool IsAlive(int pid, long startTime) =>
        Read(pid) is { } stat && stat.StartTime == startTime && !stat.HasExited;

    /// <summary>True when the process <paramref name="process"/> names is running. Zombies count as dead.</summary>
    public static bool IsAlive(ProcessIdentity process) => IsAlive(process.Pid, process.StartTime);

    /// <summary>
    /// The live processes that lead their own process group and whose environment holds every one of
    /// <paramref name="entries"/> (<c>NAME=value</c>, exactly). Processes whose environment cannot be read are skipped.
    /// </summary>
    public static IReadOnlyList<ProcessIdentity> FindGroupLeaders(IReadOnlyCollection<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var wanted = entries.Select(e => System.Text.Encoding.UTF8.GetBytes(e + "\0")).ToList();
        var found = new List<ProcessIdentity>();
        foreach (var stat in LiveProcesses())
        {
            var pid = stat.Pid;
            if (stat.ProcessGroup != pid)
                continue;
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes($"/proc/{pid}/environ");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (wanted.All(w => HasEntry(environment, w)))
                found.Add(new ProcessIdentity(pid, stat.StartTime));
        }
        return found;

        // An entry starts the block or follows the NUL that ends the previous one.
        static bool HasEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> entry)
        {
            for (var from = 0; from < environment.Length;)
            {
                var at = environment[from..].IndexOf(entry);
                if (at < 0)
                    return false;
                at += from;
                if (at == 0 || environment[at - 1] == 0)
                    return true;
                from = at + 1;
            }
            return false;
        }
    }

    /// <summary>The pids of the processes of group <paramref name="processGroup"/> that have not exited (zombies are left out).</summary>
    public static IReadOnlyList<int> LiveGroupMembers(int processGroup)
    {
        if (processGroup <= 0)
            return [];
        return LiveProcesses().Where(stat => stat.ProcessGroup == processGroup).Select(stat => stat.Pid).ToList();
    }

    /// <summary>
    /// The live descendants of <paramref name="root"/> (children, their children, …), found through parent links
    /// whatever session or process group they moved to. A descendant whose parent died was handed to another parent
    /// and is no longer found.
    /// </summary>
    public static IReadOnlyList<ProcessStat> Descendants(int root)
    {
        if (root <= 1)
            return [];
        var byParent = LiveProcesses().ToLookup(stat => stat.ParentPid);
        var found = new List<ProcessStat>();
        var queue = new Queue<int>([root]);
        var seen = new HashSet<int> { root };
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in byParent[pid])
            {
                if (seen.Add(child.Pid))
                {
                    found.Add(child);
                    queue.Enqueue(child.Pid);
                }
            }
        }
        return found;
    }

    /// <summary>Every process in <c>/proc</c> that has not exited (zombies are left out); none when <c>/proc</c> cannot be read.</summary>
    private static IEnumerable<ProcessStat> LiveProcesses()
    {
        IEnumerable<string> directories;
        try
        {
            directories = Directory.EnumerateDirectories("/proc").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in directories)
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Read(pid) is { HasExited: false } stat)
                yield return stat;
        }
    }
}
