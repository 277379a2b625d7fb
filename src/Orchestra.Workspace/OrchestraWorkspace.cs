using System.Text.Json.Nodes;
using Orchestra.Agents;
using Orchestra.Agents.Llm;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Policies;
using Orchestra.Core.Storage;
using Orchestra.Git;
using Orchestra.Storage.Sqlite;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>
/// A directory with an <c>.orchestra/</c> folder: configuration, agents, prompts, the store, logs and
/// sentinel files. Found from the current directory upwards, the way git finds its repository.
/// </summary>
public sealed class OrchestraWorkspace
{
    /// <summary>The name of the state folder.</summary>
    public const string FolderName = ".orchestra";

    private WorkspaceConfig? _config;
    private ChatAgentServices? _chatServices;
    private IStore? _defaultStore;
    private Cassette? _cassette;

    private OrchestraWorkspace(string root)
    {
        Root = Path.GetFullPath(root);
        Paths = new OrchestraPaths(Root);
        Agents = new AgentCatalog(this);
        Checked = new CheckedDefinitions(Paths.StateDir);
    }

    /// <summary>The workspace directory (the parent of <c>.orchestra/</c>).</summary>
    public string Root { get; }

    /// <summary>Where logs, sentinel files and plans of steps live.</summary>
    public OrchestraPaths Paths { get; }

    /// <summary><c>.orchestra/</c>.</summary>
    public string StateDir => Paths.StateDir;

    /// <summary><c>.orchestra/agents/</c>.</summary>
    public string AgentsDir => Path.Combine(StateDir, "agents");

    /// <summary><c>.orchestra/prompts/</c>.</summary>
    public string PromptsDir => Path.Combine(StateDir, "prompts");

    /// <summary><c>.orchestra/config.yaml</c>.</summary>
    public string ConfigPath => Path.Combine(StateDir, "config.yaml");

    /// <summary>The default store: <c>.orchestra/orchestra.db</c>.</summary>
    public string DefaultStorePath => Path.Combine(StateDir, "orchestra.db");

    /// <summary>The agents.</summary>
    public AgentCatalog Agents { get; }

    /// <summary>Which definition files passed their checks and have not changed since.</summary>
    public CheckedDefinitions Checked { get; }

    /// <summary>
    /// The attempts a task gets unless it says otherwise: <c>max_attempts</c> of <c>config.yaml</c>, read
    /// without parsing the file again when it has not changed since it was last checked.
    /// </summary>
    public int DefaultMaxAttempts =>
        !File.Exists(ConfigPath) ? new WorkspaceConfig().MaxAttempts
        : Checked.Lookup("config", ConfigPath) is { } cached && int.TryParse(cached, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
        : Config.MaxAttempts;

    /// <summary>The configuration, read once.</summary>
    public WorkspaceConfig Config => _config ??= LoadConfig();

    /// <summary>Finds the workspace containing <paramref name="start"/> (the current directory by default).</summary>
    /// <exception cref="OrchestraException">No <c>.orchestra/</c> here or above.</exception>
    public static OrchestraWorkspace Discover(string? start = null)
    {
        var dir = new DirectoryInfo(Path.GetFullPath(start ?? Environment.CurrentDirectory));
        for (var d = dir; d is not null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, FolderName)))
                return new OrchestraWorkspace(d.FullName);
        }
        throw new OrchestraException($"No {FolderName}/ folder in {dir.FullName} or any parent: run 'orchestra init' first.");
    }

    /// <summary>Opens the workspace rooted exactly at <paramref name="root"/> without checking that it exists.</summary>
    public static OrchestraWorkspace At(string root) => new(root);

    private WorkspaceConfig LoadConfig()
    {
        if (!File.Exists(ConfigPath))
            return new WorkspaceConfig();
        var source = YamlSource.Load(ConfigPath);
        var config = SpecBinder.Bind<WorkspaceConfig>(source, source.Root, "$");
        if (config.Parallel < 1)
            throw source.Error("$.parallel", "parallel must be at least 1.");
        if (config.Lease < TimeSpan.FromMilliseconds(100))
            throw source.Error("$.lease", "the lease must be at least 100ms.");
        if (config.MaxAttempts < 1)
            throw source.Error("$.max_attempts", "max_attempts must be at least 1.");
        for (var i = 0; i < config.Worktree.Copy.Count; i++)
        {
            var path = config.Worktree.Copy[i];
            if (string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) || path.Replace('\\', '/').Split('/').Contains(".."))
                throw source.Error($"$.worktree.copy[{i}]", $"'{path}' must be a path inside the workspace, relative to it and without '..'.");
        }
        Checked.Record("config", ConfigPath, config.MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return config;
    }

    /// <summary>
    /// Records provider calls to, or replays them from, <paramref name="cassette"/>. Set it before the first agent is
    /// built: agents keep the services they were built with.
    /// </summary>
    public void UseCassette(Cassette? cassette)
    {
        _cassette = cassette;
        _chatServices = null;
    }

    /// <summary>Services shared by the workspace's LLM API agents: profiles, keys, aliases, prices, the cassette, tools.</summary>
    public ChatAgentServices ChatServices => _chatServices ??= new ChatAgentServices
    {
        Providers = ProviderFiles.Load(this),
        Credentials = CredentialStore.User,
        Models = Config.Models,
        Prices = new PriceTable(Config.Prices.Select(kv => KeyValuePair.Create(kv.Key, new ModelPrice(kv.Value.Input, kv.Value.Output, kv.Value.CachedInput)))),
        Cassette = _cassette,
        Tools = ToolHosts.Factory(this),
    };

    /// <summary>
    /// Opens the store: <paramref name="storeOverride"/> (the <c>--store</c> option), else the
    /// <c>ORCHESTRA_STORE</c> environment variable, else <c>.orchestra/orchestra.db</c>.
    /// </summary>
    public IStore OpenStore(string? storeOverride = null, bool readOnly = false)
    {
        if (UsesDefaultStore(storeOverride))
            return _defaultStore = SqliteStore.Open(DefaultStorePath, new SqliteStoreOptions { ReadOnly = readOnly });
        var target = storeOverride ?? Environment.GetEnvironmentVariable("ORCHESTRA_STORE")!;
        if (target.StartsWith("postgres", StringComparison.OrdinalIgnoreCase))
            throw new OrchestraException("PostgreSQL stores are not available in this build yet: use a SQLite file path for --store.");
        if (target.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            target = target["sqlite:".Length..];
        var path = Path.GetFullPath(target, Root);
        return SqliteStore.Open(path, new SqliteStoreOptions { ReadOnly = readOnly });
    }

    /// <summary>True when <paramref name="storeOverride"/> and <c>ORCHESTRA_STORE</c> leave the store at <c>.orchestra/orchestra.db</c>.</summary>
    public static bool UsesDefaultStore(string? storeOverride) =>
        string.IsNullOrWhiteSpace(storeOverride) && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ORCHESTRA_STORE"));

    /// <summary>
    /// <c>.orchestra/inbox/</c>: tasks accepted by <c>start</c> without opening the default store, brought in by
    /// the next command that opens it and by every worker.
    /// </summary>
    public SubmissionInbox Inbox => _inbox ??= new SubmissionInbox(Path.Combine(StateDir, "inbox"));

    private SubmissionInbox? _inbox;

    /// <summary>
    /// The git side of the workspace: session branches, step worktrees (<c>.orchestra/worktrees/</c>), diffs, merges
    /// and cleanup, over the repository containing the workspace or the <c>repos:</c> of <c>config.yaml</c>.
    /// </summary>
    public GitWorkspace Git => _git ??= new GitWorkspace(new GitWorkspaceOptions
    {
        Root = Root,
        StateDirectory = StateDir,
        Repos = Config.Repos,
        Copy = Config.Worktree.Copy,
    });

    private GitWorkspace? _git;

    /// <summary>
    /// True when the step will run in a git worktree of its own: its input's <c>isolation</c> when it names one,
    /// else its agent's <c>isolation:</c>.
    /// </summary>
    /// <exception cref="OrchestraException">The agent's file is invalid.</exception>
    public bool IsIsolated(StepSpec step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Input?[Isolation.InputKey] is JsonValue v && v.TryGetValue<string>(out var text) && Isolation.TryParse(text, out var chosen))
            return chosen == StepIsolation.Worktree;
        return Agents.IsolationOf(step.Agent) == StepIsolation.Worktree;
    }

    /// <summary>
    /// Creates an engine over a store with this workspace's agents and settings. Without
    /// <paramref name="configured"/>, the worker settings of <c>config.yaml</c> (lease, retry, limits) are not
    /// read: enough for commands that only submit or inspect work.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="time">The clock; null for the system's.</param>
    /// <param name="configured">False for an engine that only submits: config.yaml's worker settings are not read.</param>
    /// <param name="agents">Resolves agent names; null for this workspace's agents.</param>
    /// <param name="graphResolver">Finds graph runs' definitions from their recorded source (see <see cref="EngineOptions.GraphResolver"/>).</param>
    public OrchestraEngine CreateEngine(IStore store, TimeProvider? time = null, bool configured = true,
        IAgentResolver? agents = null, Func<RunRecord, GraphDefinition?>? graphResolver = null)
    {
        var c = configured ? Config : new WorkspaceConfig();
        var options = new EngineOptions
        {
            LeaseDuration = c.Lease,
            GlobalLimit = c.GlobalLimit,
            WorkDirectory = Root,
            IsWorkerAlive = WorkerIdentity.IsAlive,
            GraphResolver = graphResolver,
            // Steps that ask for a worktree get one; nothing runs git until such a step does.
            StepWorkspace = configured ? new GitStepWorkspace(Git) : null,
            Retry = new RetryPolicy
            {
                BaseDelay = c.Retry.BaseDelay,
                MaxDelay = c.Retry.MaxDelay,
                Multiplier = c.Retry.Multiplier,
                Jitter = c.Retry.Jitter,
            },
        };
        // Workers over the default store bring in the tasks accepted into the inbox.
        OrchestraEngine? engine = null;
        if (ReferenceEquals(store, _defaultStore))
            options = options with { Intake = ct => Inbox.IngestAsync(engine!, ct) };
        engine = new OrchestraEngine(store, agents ?? Agents, options, time);
        return engine;
    }
}
