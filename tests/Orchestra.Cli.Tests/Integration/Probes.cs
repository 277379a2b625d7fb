using System.Diagnostics;
using System.Globalization;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;
using Orchestra.Workspace;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>Bounded waits for something another process does.</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Checks <paramref name="condition"/> until it holds; fails with <paramref name="what"/> once <paramref name="limit"/> has passed.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
                Assert.Fail($"gave up waiting after {limit}: {what()}");
            await Task.Delay(Interval);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, Func<string> what) =>
        UntilAsync(() => Task.FromResult(condition()), limit, what);
}

/// <summary>Steps and events read straight from a workspace's store file.</summary>
internal sealed record StoreView(IReadOnlyList<StepRecord> Steps, IReadOnlyList<RunEvent> Events)
{
    public static string DefaultPath(CliHarness cli) => Path.Combine(cli.StateDir, "orchestra.db");

    /// <summary>
    /// Opens the store read-only, after bringing in the tasks 'start' left in the inbox (as any command that opens
    /// the store does); dispose it before deleting the workspace.
    /// </summary>
    public static SqliteStore Open(CliHarness cli)
    {
        var inbox = new SubmissionInbox(Path.Combine(cli.StateDir, "inbox"));
        if (inbox.HasPending)
        {
            var writable = SqliteStore.Open(DefaultPath(cli));
            try
            {
                inbox.IngestAsync(new OrchestraEngine(writable, new AgentRegistry())).AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                writable.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        return SqliteStore.Open(DefaultPath(cli), new SqliteStoreOptions { ReadOnly = true });
    }

    public static async Task<StoreView> ReadAsync(CliHarness cli)
    {
        await using var store = Open(cli);
        var steps = await store.ListStepsAsync(new StepQuery());
        var events = new List<RunEvent>();
        long after = 0;
        while (true)
        {
            var page = await store.ListEventsAsync(null, after, 5000);
            if (page.Count == 0)
                break;
            events.AddRange(page);
            after = page[^1].Seq;
        }
        return new StoreView(steps, events);
    }

    public static async Task<StepRecord> StepAsync(SqliteStore store, string id) =>
        await store.GetStepAsync(id) ?? throw new InvalidOperationException($"no step {id}");

    /// <summary>How many events of <paramref name="type"/> each step has.</summary>
    public Dictionary<string, int> Count(string type) =>
        Events.Where(e => e.Type == type && e.StepId is not null)
            .GroupBy(e => e.StepId!)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public IEnumerable<RunEvent> EventsOf(string stepId, string type) =>
        Events.Where(e => e.StepId == stepId && e.Type == type);
}

/// <summary>
/// Processes a test learned about (agent processes and their children), by pid and start time. Disposing it sends
/// SIGKILL to each one still alive — the very process recorded, never a reused pid — so a failing test leaves nothing behind.
/// </summary>
/// <remarks>
/// As a safety net for processes a test never got to see (it failed before reading their pids), disposing also kills
/// every process whose environment holds <c>ORCHESTRA_WORKDIR</c> set to this test's own temporary workspace: a cli
/// agent gets that variable and passes it on to its children, and no other process can have that value.
/// </remarks>
internal sealed class ProcessWatch(string workspace) : IDisposable
{
    private readonly List<ProcessIdentity> _known = [];
    private readonly byte[] _marker = System.Text.Encoding.UTF8.GetBytes($"ORCHESTRA_WORKDIR={workspace}\0");

    /// <summary>Records <paramref name="pid"/> (if it is still there) for cleanup; returns it.</summary>
    public int Track(int pid)
    {
        if (ProcessProbe.Read(pid) is { } stat)
        {
            lock (_known)
                _known.Add(new ProcessIdentity(pid, stat.StartTime));
        }
        return pid;
    }

    /// <summary>Records the process a cli step's handle names; returns its pid.</summary>
    public int TrackHandle(string? handle)
    {
        var parsed = CliHandle.TryParse(handle) ?? throw new InvalidOperationException($"not a cli handle: {handle}");
        lock (_known)
            _known.Add(parsed.Process);
        return parsed.Pid;
    }

    /// <summary>True when no process has this pid any more, or it is a zombie (exited, not yet reaped).</summary>
    public static bool IsDead(int pid) => ProcessProbe.Read(pid) is not { } stat || stat.HasExited;

    /// <summary>SIGKILL to one recorded process, if it is still the one recorded.</summary>
    public void Kill(int pid)
    {
        List<ProcessIdentity> matching;
        lock (_known)
            matching = _known.Where(p => p.Pid == pid).ToList();
        Assert.NotEmpty(matching);
        foreach (var p in matching)
            KillIfAlive(p);
    }

    /// <summary>Pids listed one per line in <paramref name="file"/>, tracked for cleanup.</summary>
    public IReadOnlyList<int> TrackPidFile(string file) =>
        File.ReadAllLines(file).Where(l => l.Trim().Length > 0)
            .Select(l => Track(int.Parse(l.Trim(), NumberStyles.None, CultureInfo.InvariantCulture))).ToList();

    public void Dispose()
    {
        lock (_known)
        {
            foreach (var p in _known)
                KillIfAlive(p);
        }
        foreach (var p in StartedInWorkspace())
            KillIfAlive(p);
    }

    /// <summary>Live processes whose environment names this test's workspace as <c>ORCHESTRA_WORKDIR</c>.</summary>
    private List<ProcessIdentity> StartedInWorkspace()
    {
        var found = new List<ProcessIdentity>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
                continue;
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes(Path.Combine(entry, "environ"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var at = environment.AsSpan().IndexOf(_marker);
            if ((at == 0 || (at > 0 && environment[at - 1] == 0)) && ProcessProbe.Read(pid) is { HasExited: false } stat)
                found.Add(new ProcessIdentity(pid, stat.StartTime));
        }
        return found;
    }

    private static void KillIfAlive(ProcessIdentity p)
    {
        if (!ProcessProbe.IsAlive(p))
            return;
        try
        {
            using var process = Process.GetProcessById(p.Pid);
            process.Kill(entireProcessTree: false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It exited in between.
        }
    }
}
