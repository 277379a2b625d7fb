using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.ClaudeCode;

/// <summary>
/// The <c>claude-code</c> agent kind: drives the Claude Code CLI (<c>claude</c>) the way the official Agent SDKs do.
/// Linux only for now, like the <c>cli</c> kind.
/// </summary>
/// <remarks>
/// <para>
/// Each attempt starts <c>claude -p --output-format stream-json --verbose --input-format stream-json
/// --permission-prompt-tool stdio</c> plus the flags of <see cref="ClaudeCodeOptions"/>, in its own process group, in the
/// step's work directory, with <c>CLAUDE_CONFIG_DIR</c> set to <c>.orchestra/claude/&lt;step&gt;/</c> (seeded with the
/// user's login and settings, see <see cref="ClaudeConfigDirs"/>). Standard error and every output line go to
/// <c>.orchestra/logs/&lt;step&gt;.log</c>. Orchestra writes to standard input: the <c>initialize</c> control request
/// (registering a PreToolUse hook), the prompt as a user message, and each follow-up (step input <c>follow_ups</c>, a
/// list of strings) after the previous result.
/// </para>
/// <para>
/// Every output message becomes an event (see <see cref="ClaudeStream"/>). Permission requests (<c>can_use_tool</c>)
/// and hook callbacks are answered from <see cref="PermissionPolicy"/>, each decision recorded as a <c>permission</c>
/// event (<c>tool</c>, <c>decision</c>, <c>reason</c>, <c>source</c>). The last <c>result</c> message decides the
/// outcome (<see cref="ClaudeOutcome"/>); its text is the output, its tokens and <c>total_cost_usd</c> the usage.
/// </para>
/// <para>
/// Sessions: step input <c>session</c> names a conversation; its Claude Code session id is kept in the session record
/// and resumed (<c>--resume</c>) by the next step of the same session. Step input <c>resume</c> resumes a Claude Code
/// session id directly; <c>fork_session: true</c> (or the option) forks it instead.
/// </para>
/// <para>
/// A CLI that writes nothing for <see cref="ClaudeCodeOptions.IdleTimeout"/> is stopped with its whole process group and
/// the attempt fails as transient. Cancellation sends <c>interrupt</c>, gives the CLI the grace period to finish, and
/// then stops the group.
/// </para>
/// </remarks>
public sealed partial class ClaudeCodeAgent : Agent
{
    /// <summary>How to install the CLI, for messages.</summary>
    public const string InstallHint = "npm install -g @anthropic-ai/claude-code";

    private const int ErrorTailChars = 500;

    /// <summary>Creates a claude-code agent.</summary>
    /// <param name="name">The definition name.</param>
    /// <param name="options">The definition; validated here.</param>
    /// <param name="paths">The workspace layout: where logs and configuration directories go.</param>
    /// <exception cref="ArgumentException">The options cannot work.</exception>
    public ClaudeCodeAgent(string name, ClaudeCodeOptions options, OrchestraPaths paths)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        options.Validate();
        Options = options;
        Paths = paths;
        MaxConcurrency = options.MaxConcurrency;
    }

    /// <summary>The definition.</summary>
    public ClaudeCodeOptions Options { get; }

    /// <summary>The workspace layout.</summary>
    public OrchestraPaths Paths { get; }

    /// <inheritdoc />
    protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
            return AgentResult.Permanent(CliAgent.NotSupportedMessage.Replace("the cli agent kind", "the claude-code agent kind", StringComparison.Ordinal));
        var step = context.Step;
        if (!Ids.IsValid(step.Id))
            return AgentResult.Permanent($"'{step.Id}' is not a valid step id");
        var workDirectory = string.IsNullOrEmpty(context.WorkDirectory) ? Paths.Root : Path.GetFullPath(context.WorkDirectory);
        string cwd;
        try
        {
            cwd = CliAgent.ResolveWorkingDirectory(workDirectory, Options.Cwd);
        }
        catch (ArgumentException ex)
        {
            return AgentResult.Permanent($"agent '{Name}': {ex.Message}");
        }

        var environment = BuildEnvironment(step, workDirectory, out var userConfigDir);
        var program = ResolveProgram(environment, cwd);
        if (program is null)
            return AgentResult.Permanent(NotFoundMessage());

        var configDir = Paths.ClaudeConfigDir(step.Id);
        environment["CLAUDE_CONFIG_DIR"] = configDir;
        var seeded = ClaudeConfigDirs.Seed(configDir, userConfigDir);

        var session = await OpenSessionAsync(context, configDir, cwd, userConfigDir, cancellationToken).ConfigureAwait(false);
        if (session.Error is { } sessionError)
            return AgentResult.Permanent(sessionError);

        var argv = ClaudeArguments.Build(program, Options, ClaudeArguments.McpConfigValue(Options.McpConfig, Paths.Root), session.Resume, session.Fork);
        if (cancellationToken.IsCancellationRequested)
            return AgentResult.Cancel();

        Directory.CreateDirectory(Paths.LogsDir);
        var log = Paths.LogFile(step.Id);
        File.AppendAllText(log, $"--- orchestra: step {step.Id}, attempt {context.Attempt}, claude-code, {context.Time.GetUtcNow():O} ---\n");
        var offset = new FileInfo(log).Length;
        var process = ClaudeProcess.Start(argv, environment, cwd, log, out var launch);
        if (process is null)
            return LaunchFailure(program, launch);
        try
        {
            try
            {
                await context.SetHandleAsync(new CliHandle(process.Identity.Pid, process.Identity.StartTime, log, offset).ToJson(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Nothing may run that no record points to.
                await process.StopGroupAsync(Options.GracePeriod).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                    return AgentResult.Cancel();
                return AgentResult.Transient($"agent '{Name}': the process handle could not be recorded: {ex.Message}");
            }
            context.Emit(new AgentEvent("process.started", new JsonObject
            {
                ["pid"] = process.Identity.Pid,
                ["log"] = log,
                ["config_dir"] = configDir,
                ["resume"] = session.Resume,
            }));
            var policy = PermissionPolicy.For(Options, cwd);
            var result = await ConverseAsync(process, context, policy, FollowUps(step.Input), new CliHandle(0, 0, log, offset), cancellationToken).ConfigureAwait(false);
            return session.Complete(result.Result, result.SessionId, result.Turns, Name);
        }
        finally
        {
            await process.DisposeAsync().ConfigureAwait(false);
            // The login copy is needed only while the CLI runs.
            foreach (var file in seeded.Where(f => Path.GetFileName(f) == ".credentials.json"))
                File.Delete(file);
        }
    }

    /// <summary>
    /// Settles a step whose worker is gone. The CLI cannot outlive the worker that drives it (its permission requests and
    /// input come through pipes), so a process still running is stopped, and the attempt is a transient failure either way.
    /// </summary>
    public override async ValueTask<ReconcileResult> ReconcileAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (CliHandle.TryParse(step.Handle) is not { } handle)
            return ReconcileResult.NotApplicable;
        if (OperatingSystem.IsLinux() && ProcessProbe.IsAlive(handle.Process))
            await ProcessGroups.TerminateTreeAsync(handle.Process, Options.GracePeriod, reapLeader: false).ConfigureAwait(false);
        return new ReconcileResult(ReconcileStatus.Finished,
            AgentResult.Transient($"the claude CLI of agent '{Name}' lost the worker that drove it; the attempt was stopped"));
    }

    /// <summary>Stops the process tree recorded in <paramref name="handle"/>: SIGTERM, then SIGKILL after the grace period. A pid now used by another process is left alone.</summary>
    public override async ValueTask TerminateAsync(string handle, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux() || CliHandle.TryParse(handle) is not { } parsed)
            return;
        await ProcessGroups.TerminateTreeAsync(parsed.Process, Options.GracePeriod, reapLeader: false).ConfigureAwait(false);
    }

    private string NotFoundMessage()
    {
        var where = Options.Executable.Contains('/', StringComparison.Ordinal) ? $"'{Options.Executable}'" : $"'{Options.Executable}' on PATH";
        return $"the claude CLI was not found ({where}): install it with `{InstallHint}`, or set `executable:` in .orchestra/agents/{Name}.yaml";
    }

    private string? ResolveProgram(IReadOnlyDictionary<string, string> environment, string cwd)
    {
        var executable = Options.Executable;
        if (executable.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(Path.IsPathRooted(executable) ? executable : Path.Combine(Paths.Root, executable));
            return File.Exists(full) ? full : null;
        }
        return ProcessLauncher.Resolve(executable, environment, cwd);
    }

    private Dictionary<string, string> BuildEnvironment(StepRecord step, string workDirectory, out string? userConfigDir)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.Length > 0 && !key.Contains('=', StringComparison.Ordinal))
                environment[key] = entry.Value as string ?? "";
        }
        // A CLI started from inside a Claude Code session must not think it is nested in it.
        environment.Remove("CLAUDECODE");
        foreach (var (key, value) in Options.Env)
            environment[key] = value;
        userConfigDir = ClaudeConfigDirs.UserConfigDir(environment);
        environment["ORCHESTRA_STEP_ID"] = step.Id;
        environment["ORCHESTRA_RUN_ID"] = step.RunId;
        environment["ORCHESTRA_ATTEMPT"] = step.Attempt.ToString(CultureInfo.InvariantCulture);
        environment["ORCHESTRA_WORKDIR"] = workDirectory;
        return environment;
    }

    private AgentResult LaunchFailure(string program, LaunchResult launch)
    {
        if (launch.NotFound)
            return AgentResult.Permanent(NotFoundMessage());
        return launch.Errno switch
        {
            Libc.ENOENT => AgentResult.Permanent($"the claude CLI '{program}' could not be started: the interpreter named by its #! line was not found; reinstall it with `{InstallHint}`"),
            Libc.EACCES => AgentResult.Permanent($"the claude CLI '{program}' is not executable (permission denied): fix its permissions or `executable:` in .orchestra/agents/{Name}.yaml"),
            Libc.E2BIG => AgentResult.Permanent($"the command line of agent '{Name}' is too long: shorten its system prompt or move it into a file"),
            Libc.EAGAIN or Libc.ENOMEM => AgentResult.Transient($"agent '{Name}': {launch.Error}"),
            _ => AgentResult.Permanent($"agent '{Name}': {launch.Error}"),
        };
    }

    private static List<string> FollowUps(JsonObject? input) =>
        input?["follow_ups"] is JsonArray items
            ? items.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!).ToList()
            : [];
}
