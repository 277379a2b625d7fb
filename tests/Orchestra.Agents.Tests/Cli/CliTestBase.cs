using System.Diagnostics;
using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.Cli;

/// <summary>A temporary workspace, and cleanup (by pid) of every process a test started.</summary>
public abstract class CliTestBase : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly List<ProcessIdentity> _leaders = [];
    private readonly List<ProcessIdentity> _others = [];

    protected CliTestBase()
    {
        Root = Path.Combine(Path.GetTempPath(), "orchestra-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Paths = new OrchestraPaths(Root);
    }

    protected string Root { get; }

    protected OrchestraPaths Paths { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        List<ProcessIdentity> leaders, others;
        lock (_leaders)
        {
            leaders = [.. _leaders];
            others = [.. _others];
        }
        foreach (var p in others)
        {
            if (ProcessProbe.IsAlive(p))
                _ = Libc.kill(p.Pid, Libc.SIGKILL);
        }
        foreach (var p in leaders)
            await ProcessGroups.TerminateAsync(p, TimeSpan.Zero, reapLeader: true);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Remembers a process group leader for teardown.</summary>
    protected void Track(ProcessIdentity leader)
    {
        lock (_leaders)
            _leaders.Add(leader);
    }

    /// <summary>Remembers any other process (a grandchild) for teardown.</summary>
    protected void TrackOther(ProcessIdentity process)
    {
        lock (_leaders)
            _others.Add(process);
    }

    protected static StepRecord NewStep(string prompt = "do the thing") => new()
    {
        Id = Ids.NewStepId(TimeProvider.System),
        RunId = Ids.NewRunId(TimeProvider.System),
        Name = "task",
        Agent = "tester",
        Prompt = prompt,
        Attempt = 1,
        Status = StepStatus.Running,
    };

    protected CliAgent Agent(CliAgentOptions options) => new("tester", options, Paths);

    protected CliAgent Sh(string script, CliCompletion completion = CliCompletion.ExitOrSentinel, TimeSpan? grace = null) =>
        Agent(new CliAgentOptions
        {
            Command = ["/bin/sh", "-c", script],
            Completion = completion,
            GracePeriod = grace ?? TimeSpan.FromSeconds(2),
        });

    protected Harness NewHarness(StepRecord? step = null, bool storeNeverAnswers = false) => new(this, step ?? NewStep(), storeNeverAnswers);

    protected async Task<AgentResult> RunAsync(CliAgent agent, StepRecord? step = null)
    {
        var h = NewHarness(step);
        return await h.InvokeAsync(agent);
    }

    /// <summary>Polls a condition in a bounded loop (not a timing assertion: it fails only if the condition never holds).</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Bound)
                Assert.Fail($"gave up waiting: {what}");
            await Task.Delay(10);
        }
    }

    protected static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    protected static bool IsGone(ProcessIdentity p) => !ProcessProbe.IsAlive(p);

    /// <summary>
    /// One invocation: a fake context that records the handle and the events. With <c>storeNeverAnswers</c>, recording
    /// the handle never completes (until the invocation is cancelled), as when the worker dies while the store is busy.
    /// </summary>
    protected sealed class Harness
    {
        private readonly CliTestBase _owner;
        private readonly TaskCompletionSource<string> _handle = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Harness(CliTestBase owner, StepRecord step, bool storeNeverAnswers = false)
        {
            _owner = owner;
            Step = step;
            Context = new AgentContext(step, new JsonObject(), owner.Root, TimeProvider.System,
                emit: e =>
                {
                    lock (Events)
                        Events.Add(e);
                },
                setHandle: async (h, ct) =>
                {
                    if (CliHandle.TryParse(h) is { } parsed)
                        _owner.Track(parsed.Process);
                    if (storeNeverAnswers)
                        await Task.Delay(Timeout.Infinite, ct);
                    _handle.TrySetResult(h);
                });
        }

        public StepRecord Step { get; }

        public AgentContext Context { get; }

        public List<AgentEvent> Events { get; } = [];

        public Task<string> Handle => _handle.Task.WaitAsync(Bound);

        public bool HandleSet => _handle.Task.IsCompleted;

        public async Task<AgentResult> InvokeAsync(CliAgent agent, CancellationToken cancellationToken = default) =>
            await agent.InvokeAsync(Context, cancellationToken).AsTask().WaitAsync(Bound, CancellationToken.None);
    }
}
