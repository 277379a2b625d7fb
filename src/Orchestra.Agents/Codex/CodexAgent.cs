using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Processes;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Codex;

/// <summary>
/// The <c>codex</c> agent kind: runs the Codex CLI (<c>codex exec --json</c>) for each step in the step's work
/// directory, as a detached process in its own process group, and turns its JSONL events into Orchestra events and a
/// result. Linux only for now, like the <c>cli</c> kind.
/// </summary>
/// <remarks>
/// <para>
/// Each attempt: the step's Codex home <c>.orchestra/codex/&lt;step&gt;/</c> is prepared (<see cref="CodexHome.Prepare"/>),
/// the prompt is written to <c>prompt.md</c> there and given to Codex as standard input (the argument <c>-</c>, so that
/// no prompt is too long or read as an option), and <c>codex exec --json</c> starts with <c>CODEX_HOME</c> set to that
/// directory, its JSONL output appended to <c>.orchestra/logs/&lt;step&gt;.log</c> and its standard error to
/// <c>.orchestra/logs/&lt;step&gt;.stderr.log</c> (<see cref="ErrorLogFile"/>), which the agent follows. Options become
/// flags: <c>--model</c>, <c>--sandbox</c>, <c>--profile</c>, <c>--output-schema</c> (the schema is written to
/// <c>output-schema.json</c>), <c>--skip-git-repo-check</c> and one <c>-c key=value</c> per <c>config</c> entry; a
/// <c>base_url</c> selects the provider <c>orchestra</c> declared in the step's <c>config.toml</c>.
/// </para>
/// <para>
/// A step whose input names a <c>session</c> continues that conversation: the Codex thread of its last turn is copied
/// into this step's home and resumed (<c>codex exec … resume &lt;thread&gt; -</c>); a successful turn extends the session.
/// </para>
/// <para>Results:</para>
/// <list type="bullet">
/// <item>A completed turn and exit code 0: success; the last agent message is the output, and with an output schema its
/// parsed JSON is <see cref="AgentResult.Data"/> (a message that does not match is a permanent failure). Usage is the sum of
/// <c>turn.completed</c> usages, priced by model.</item>
/// <item>A failed turn, or an <c>error</c> event or standard error before a non-zero exit: transient or permanent as
/// <see cref="CodexFailures.Classify"/> decides.</item>
/// <item>No output for <see cref="CodexAgentOptions.IdleTimeout"/>: the process group is stopped; transient failure.</item>
/// <item>Killed by a signal: transient. Exited without finishing its turn: permanent, with the end of its standard error.</item>
/// <item>Cancellation (also the engine's timeout): the process group is stopped (SIGTERM, then SIGKILL); cancelled.</item>
/// </list>
/// </remarks>
public sealed partial class CodexAgent : Agent
{
    /// <summary>How to install the Codex CLI, quoted in the error given when it is missing.</summary>
    public const string InstallHint = "npm install -g @openai/codex";

    /// <summary>The message given on platforms other than Linux.</summary>
    public const string NotSupportedMessage = "the codex agent kind runs on Linux only for now: process groups on Windows and macOS are not supported yet";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    private readonly OutputSchema? _schema;

    /// <summary>Creates a codex agent.</summary>
    /// <param name="name">The definition name.</param>
    /// <param name="options">The definition; validated here.</param>
    /// <param name="paths">The workspace layout: logs and Codex homes go under its <c>.orchestra/</c>.</param>
    /// <param name="prices">Prices usage by model. Null: <see cref="PriceTable.Default"/>.</param>
    /// <exception cref="ArgumentException">The options cannot work; the message names the field.</exception>
    public CodexAgent(string name, CodexAgentOptions options, OrchestraPaths paths, PriceTable? prices = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        options.Validate();
        if (options.OutputSchema is { } schema)
        {
            try
            {
                _schema = OutputSchema.Parse(schema);
            }
            catch (OrchestraException ex)
            {
                throw new ArgumentException($"`output_schema:` {ex.Message.TrimEnd('.')}", ex);
            }
        }
        Options = options;
        Paths = paths;
        Prices = prices ?? PriceTable.Default;
        MaxConcurrency = options.MaxConcurrency;
    }

    /// <summary>The definition.</summary>
    public CodexAgentOptions Options { get; }

    /// <summary>The workspace layout.</summary>
    public OrchestraPaths Paths { get; }

    /// <summary>The price table used for usage.</summary>
    public PriceTable Prices { get; }

    /// <inheritdoc />
    /// <remarks>The CLI runs in its own session and outlives the orchestrator; its log holds everything it reported.</remarks>
    public override bool IsDetached => true;

    /// <inheritdoc />
    protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
            return AgentResult.Permanent(NotSupportedMessage);
        var step = context.Step;
        if (!Ids.IsValid(step.Id))
            return AgentResult.Permanent($"'{step.Id}' is not a valid step id");
        var cwd = string.IsNullOrEmpty(context.WorkDirectory) ? Paths.Root : Path.GetFullPath(context.WorkDirectory);
        if (!Directory.Exists(cwd))
            return AgentResult.Permanent($"agent '{Name}': the work directory '{cwd}' does not exist");

        var sessionId = Text(step.Input, "session");
        SessionRecord? session = null;
        if (sessionId is not null)
        {
            session = await context.LoadSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            if (session is not null && session.Agent != Name)
                return AgentResult.Permanent($"session '{sessionId}' is a conversation with agent '{session.Agent}', not '{Name}': use another session name");
        }

        var environment = BuildEnvironment(step, cwd);
        var home = CodexHome.For(Paths, step.Id);
        environment["CODEX_HOME"] = home;
        string? thread = null;
        try
        {
            CodexHome.Prepare(home, Options, CodexHome.UserHome(Options.Env), Name);
            if (CodexSessions.Last(session) is var (lastThread, lastStep))
            {
                if (!CodexHome.ImportRollout(CodexHome.For(Paths, lastStep), home, lastThread))
                    return AgentResult.Permanent(
                        $"session '{sessionId}': the Codex thread {lastThread} is no longer in {Relative(CodexHome.For(Paths, lastStep))} (was it cleaned up?): continue under a new session name");
                thread = lastThread;
            }
            if (Options.Profile is { } profile && !File.Exists(Path.Combine(home, profile + ".config.toml")))
                return AgentResult.Permanent(
                    $"agent '{Name}': Codex profile '{profile}' was not found: create {profile}.config.toml in your Codex home ({CodexHome.UserHome(Options.Env) ?? "~/.codex"}) with `user_config: true`, or remove `profile:`");
            File.WriteAllText(CodexHome.PromptFile(home), context.Prompt);
            if (_schema is not null)
                File.WriteAllText(CodexHome.SchemaFile(home), _schema.Document.ToJsonString());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return AgentResult.Permanent($"agent '{Name}': the Codex home {Relative(home)} could not be prepared: {ex.Message}");
        }
        if (Options.ApiKeyEnv is { } keyEnv && environment.TryGetValue(keyEnv, out var key))
            Secrets.Register(key);

        var argv = BuildArguments(Model(step), _schema is null ? null : CodexHome.SchemaFile(home), thread);
        if (ProcessLauncher.Resolve(argv[0], environment, cwd) is null)
            return AgentResult.Permanent(NotInstalled());
        if (cancellationToken.IsCancellationRequested)
            return AgentResult.Cancel();

        Directory.CreateDirectory(Paths.LogsDir);
        var log = Paths.LogFile(step.Id);
        var errorLog = ErrorLogFile(Paths, step.Id);
        var header = $"--- orchestra: step {step.Id}, attempt {context.Attempt}, codex, {context.Time.GetUtcNow():O} ---\n";
        File.AppendAllText(log, header);
        File.AppendAllText(errorLog, header);
        var offset = new FileInfo(log).Length;
        var errorOffset = new FileInfo(errorLog).Length;
        // On disk before Codex can start: a worker that dies before the store records the handle leaves enough for the
        // next one to find this Codex (by its environment, until the pid is written) instead of starting another.
        HandleFile.Write(Paths, step.Id, context.Attempt, new CliHandle(0, 0, log, offset), errorOffset);
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = argv,
            Environment = environment,
            WorkingDirectory = cwd,
            OutputFile = log,
            ErrorFile = errorLog,
            InputFile = CodexHome.PromptFile(home),
        });
        if (launch.Process is not { } process)
            return LaunchFailure(argv[0], launch);

        var handle = new CliHandle(process.Pid, process.StartTime, log, offset);
        HandleFile.Write(Paths, step.Id, context.Attempt, handle, errorOffset);
        try
        {
            await context.SetHandleAsync(HandleJson(handle, errorOffset), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing may run that no record points to.
            await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: true).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
                return AgentResult.Cancel();
            return AgentResult.Transient($"agent '{Name}': the process handle could not be recorded: {ex.Message}");
        }
        context.Emit(new AgentEvent("process.started", new JsonObject { ["pid"] = process.Pid, ["log"] = log, ["stderr"] = errorLog, ["codex_home"] = home }));
        var transcript = new CodexTranscript(Model(step), Prices);
        return await WatchAsync(context, handle, transcript, new LogTail(log, offset), new LogTail(errorLog, errorOffset), mayBeChild: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>.orchestra/logs/&lt;step&gt;.stderr.log</c>: Codex's standard error, kept apart so that no warning can split a JSONL line.</summary>
    public static string ErrorLogFile(OrchestraPaths paths, string stepId)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Path.Combine(paths.LogsDir, Path.GetFileNameWithoutExtension(paths.LogFile(stepId)) + ".stderr.log");
    }

    /// <summary>
    /// The handle recorded for a run: a <see cref="CliHandle"/> (pid, start time, log, offset) with the offset of the
    /// attempt's standard error as <c>error_offset</c>.
    /// </summary>
    private static string HandleJson(CliHandle handle, long errorOffset)
    {
        var json = (JsonObject)JsonNode.Parse(handle.ToJson())!;
        json["error_offset"] = errorOffset;
        return json.ToJsonString();
    }

    /// <summary>The <c>error_offset</c> of a recorded handle; 0 when it has none.</summary>
    private static long ErrorOffset(string? handleJson)
    {
        try
        {
            return handleJson is not null && JsonNode.Parse(handleJson) is JsonObject o && o["error_offset"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
        }
        catch (System.Text.Json.JsonException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The argument vector for one run, program first: <c>codex exec --json [options] [resume &lt;thread&gt;] -</c>. Every
    /// option comes before <c>resume</c>, where <c>codex exec</c> takes them for both forms; the prompt is read from
    /// standard input.
    /// </summary>
    /// <param name="model">The model, or null for Codex's default.</param>
    /// <param name="schemaFile">The output schema file, or null.</param>
    /// <param name="thread">The thread to resume, or null for a new one.</param>
    public IReadOnlyList<string> BuildArguments(string? model, string? schemaFile, string? thread)
    {
        if (thread is not null && !CodexSessions.IsThreadId(thread))
            throw new ArgumentException($"'{thread}' is not a Codex thread id", nameof(thread));
        var argv = new List<string> { Options.Executable, "exec", "--json" };
        if (Options.SkipGitRepoCheck)
            argv.Add("--skip-git-repo-check");
        if (model is not null)
            argv.AddRange(["--model", model]);
        argv.AddRange(["--sandbox", Options.Sandbox switch
        {
            CodexSandbox.ReadOnly => "read-only",
            CodexSandbox.DangerFullAccess => "danger-full-access",
            _ => "workspace-write",
        }]);
        if (Options.Profile is { } profile)
            argv.AddRange(["--profile", profile]);
        if (schemaFile is not null)
            argv.AddRange(["--output-schema", schemaFile]);
        if (Options.BaseUrl is not null)
            argv.AddRange(["-c", $"model_provider=\"{CodexHome.ProviderName}\""]);
        foreach (var entry in Options.Config)
            argv.AddRange(["-c", entry]);
        if (thread is not null)
            argv.AddRange(["resume", thread]);
        argv.Add("-");
        return argv;
    }

    /// <summary>The model a step uses: its <c>model</c> input, else <see cref="CodexAgentOptions.Model"/>.</summary>
    private string? Model(StepRecord step) => Text(step.Input, "model") ?? Options.Model;

    private string NotInstalled() =>
        $"agent '{Name}': the Codex CLI '{Options.Executable}' was not found: install it with `{InstallHint}` or set `executable:` in .orchestra/agents/{Name}.yaml";

    private AgentResult LaunchFailure(string program, LaunchResult launch)
    {
        if (launch.NotFound)
            return AgentResult.Permanent(NotInstalled());
        return launch.Errno switch
        {
            Libc.ENOENT => AgentResult.Permanent($"agent '{Name}': '{program}' could not be started: the interpreter named by its #! line (Node.js for the npm package) was not found: install it"),
            Libc.EACCES => AgentResult.Permanent($"agent '{Name}': '{program}' is not executable (permission denied): fix its permissions or `executable:` in .orchestra/agents/{Name}.yaml"),
            Libc.EAGAIN or Libc.ENOMEM => AgentResult.Transient($"agent '{Name}': {launch.Error}"),
            _ => AgentResult.Permanent($"agent '{Name}': {launch.Error}"),
        };
    }

    private Dictionary<string, string> BuildEnvironment(StepRecord step, string cwd)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.Length > 0 && !key.Contains('=', StringComparison.Ordinal))
                environment[key] = entry.Value as string ?? "";
        }
        foreach (var (key, value) in Options.Env)
            environment[key] = value;
        environment["ORCHESTRA_STEP_ID"] = step.Id;
        environment["ORCHESTRA_RUN_ID"] = step.RunId;
        environment["ORCHESTRA_ATTEMPT"] = step.Attempt.ToString(CultureInfo.InvariantCulture);
        environment["ORCHESTRA_LOG_FILE"] = Paths.LogFile(step.Id);
        environment["ORCHESTRA_WORKDIR"] = cwd;
        return environment;
    }

    private string Relative(string path) => Path.GetRelativePath(Paths.Root, path);

    private static string? Text(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}
