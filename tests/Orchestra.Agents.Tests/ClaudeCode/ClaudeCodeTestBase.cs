using System.Text.Json.Nodes;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;
using Orchestra.FakeProvider;

namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>
/// Runs the real Claude Code CLI against a fake provider on 127.0.0.1, in a temporary workspace with an empty home.
/// Every CLI process started is stopped by pid (with its tree) at the end, and each run is bounded.
/// </summary>
public abstract class ClaudeCodeTestBase : IAsyncLifetime
{
    /// <summary>The longest a single run may take before the test cancels it.</summary>
    protected static readonly TimeSpan RunBound = TimeSpan.FromSeconds(90);

    private readonly List<ProcessIdentity> _started = [];

    protected ClaudeCodeTestBase()
    {
        Root = Directory.CreateTempSubdirectory("orchestra-claude-").FullName;
        Paths = new OrchestraPaths(Root);
        WorkDirectory = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
    }

    protected string Root { get; }

    protected OrchestraPaths Paths { get; }

    /// <summary>The step's work directory (where a worktree would be).</summary>
    protected string WorkDirectory { get; }

    protected string Home { get; }

    protected FakeProviderServer Server { get; private set; } = null!;

    protected string Cli { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Cli = ClaudeCli.Locate();
        Server = await FakeProviderServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        List<ProcessIdentity> started;
        lock (_started)
            started = [.. _started];
        foreach (var process in started)
            await ProcessGroups.TerminateTreeAsync(process, TimeSpan.Zero, reapLeader: false);
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Options that point the CLI at the fake server, with an empty home and no retries of its own.</summary>
    protected ClaudeCodeOptions Options(Func<ClaudeCodeOptions, ClaudeCodeOptions>? change = null)
    {
        var options = new ClaudeCodeOptions
        {
            Executable = Cli,
            Model = "claude-sonnet-4-5",
            Env = new Dictionary<string, string>
            {
                ["ANTHROPIC_BASE_URL"] = Server.AnthropicBaseUrl.ToString().TrimEnd('/'),
                ["ANTHROPIC_API_KEY"] = "dummy",
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["CLAUDE_CODE_MAX_RETRIES"] = "0",
                ["DISABLE_AUTOUPDATER"] = "1",
                ["HOME"] = Home,
                // The seed source: an empty directory, never the real user's.
                ["CLAUDE_CONFIG_DIR"] = Path.Combine(Home, ".claude"),
            },
            GracePeriod = TimeSpan.FromSeconds(3),
        };
        return change is null ? options : change(options);
    }

    protected ClaudeCodeAgent Agent(ClaudeCodeOptions options) => new("claude", options, Paths);

    /// <summary>One step's run: its result, its events and the pid of its CLI.</summary>
    protected sealed record Run(AgentResult Result, IReadOnlyList<AgentEvent> Events, StepRecord Step, int Pid)
    {
        public IEnumerable<AgentEvent> OfKind(string kind) => Events.Where(e => e.Kind == kind);
    }

    protected static StepRecord NewStep(string prompt, JsonObject? input = null) => new()
    {
        Id = Ids.NewStepId(TimeProvider.System),
        RunId = Ids.NewRunId(TimeProvider.System),
        Name = "task",
        Agent = "claude",
        Prompt = prompt,
        Input = input,
        Attempt = 1,
        Status = StepStatus.Running,
    };

    /// <summary>
    /// Runs one step. <paramref name="onEvent"/> sees each event as it comes (to cancel at the right moment);
    /// <paramref name="session"/> is what loading any session returns.
    /// </summary>
    protected async Task<Run> RunAsync(
        ClaudeCodeAgent agent, string prompt, JsonObject? input = null, Action<AgentEvent>? onEvent = null,
        SessionRecord? session = null, CancellationToken cancellationToken = default)
    {
        var step = NewStep(prompt, input);
        var events = new List<AgentEvent>();
        var pid = 0;
        var context = new AgentContext(step, [], WorkDirectory, TimeProvider.System,
            emit: e =>
            {
                lock (events)
                    events.Add(e);
                if (e.Kind == "process.started")
                {
                    pid = (int)e.Data!["pid"]!;
                    lock (_started)
                        _started.Add(new ProcessIdentity(pid, ProcessProbe.StartTime(pid) ?? 0));
                }
                onEvent?.Invoke(e);
            },
            loadSession: (_, _) => ValueTask.FromResult(session));
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(RunBound);
        var result = await agent.InvokeAsync(context, bound.Token);
        lock (events)
            return new Run(result, [.. events], step, pid);
    }

    /// <summary>True when nothing of the CLI's process group is left running.</summary>
    protected static void AssertGroupGone(int pid)
    {
        Assert.True(pid > 1, "the CLI was never started");
        Assert.Empty(ProcessProbe.LiveGroupMembers(pid));
        Assert.False(ProcessProbe.Read(pid) is { HasExited: false }, $"the CLI (pid {pid}) is still running");
    }
}
