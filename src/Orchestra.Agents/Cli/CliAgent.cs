using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Processes;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Cli;

/// <summary>
/// The <c>cli</c> agent kind: runs a command-line program (a coding agent, a script) for each step, as a detached
/// process that outlives the orchestrator. Linux only for now: process groups on Windows and macOS are not
/// implemented yet, and every call fails there with a clear message.
/// </summary>
/// <remarks>
/// <para>
/// Each attempt: the prompt is rendered (through <see cref="CliAgentOptions.PromptTemplate"/> if any), stale sentinel
/// files of the step are deleted, and the command is started in its own session and process group with standard
/// output and error appended to <c>.orchestra/logs/&lt;step&gt;.log</c> and standard input on <c>/dev/null</c>. The
/// process gets the inherited environment, the agent's <c>env:</c> and <c>ORCHESTRA_STEP_ID</c>,
/// <c>ORCHESTRA_RUN_ID</c>, <c>ORCHESTRA_ATTEMPT</c>, <c>ORCHESTRA_DONE_FILE</c>, <c>ORCHESTRA_ERROR_FILE</c>,
/// <c>ORCHESTRA_PLAN_FILE</c>, <c>ORCHESTRA_LOG_FILE</c> and <c>ORCHESTRA_WORKDIR</c>. Its handle
/// (<see cref="CliHandle"/>) is recorded before the agent waits, so that a restarted orchestrator can find it. Because the
/// store may take a while to record it, the attempt is also announced in <see cref="OrchestraPaths.HandleFile"/> before the
/// process starts, and the file gets the process handle as soon as there is one: an orchestrator that dies in between
/// leaves enough for the next one to find the process (or its sentinel) instead of starting the step a second time.
/// </para>
/// <para>Results, in this order:</para>
/// <list type="number">
/// <item><c>.error</c> sentinel (unless <see cref="CliCompletion.Exit"/>): JSON <c>{"error": "...", "transient": true|false}</c>
/// gives a transient or permanent failure with that message; other content is a permanent failure with that text.
/// An <c>.error</c> wins over a <c>.done</c>.</item>
/// <item><c>.done</c> sentinel (unless <see cref="CliCompletion.Exit"/>): success. Its content is the output; when it is a
/// JSON object, its <c>output</c> (string), <c>data</c> and <c>route</c> are used; an empty file means the log's tail.</item>
/// <item>Exit code 0: success with the last 4 KiB of this attempt's log as output (a failure under <see cref="CliCompletion.Sentinel"/>).</item>
/// <item>Killed by a signal, or exit code 75 (<c>EX_TEMPFAIL</c>): transient failure, worth a retry.</item>
/// <item>Any other exit code: permanent failure, with the end of the log in the message.</item>
/// <item>Exit status unknown (the process was not this orchestrator's child, for example after a restart) and no sentinel:
/// transient failure (<see cref="LostProcessMessage"/>).</item>
/// </list>
/// <para>
/// When a sentinel appears while the process still runs, it gets <see cref="CliAgentOptions.GracePeriod"/> to exit;
/// then, and after any exit, whatever is left of its process group is stopped (SIGTERM, then SIGKILL after the grace
/// period). Cancellation (which is also how the engine delivers timeouts) stops the group the same way, writes the
/// <c>.cancelled</c> sentinel and returns <see cref="AgentOutcome.Cancelled"/>. The log is not streamed into events; only
/// <c>process.started</c> (<c>{pid, log}</c>) is emitted.
/// </para>
/// </remarks>
public sealed class CliAgent : Agent
{
    /// <summary>
    /// The prompt template used under <see cref="CliCompletion.Sentinel"/> when no template is configured: the task, then
    /// the sentinel protocol. Placeholders: <c>{prompt}</c>, <c>{step_id}</c>, <c>{done_file}</c>, <c>{error_file}</c>, <c>{plan_file}</c>.
    /// </summary>
    public const string DefaultProtocolPrompt =
        """
        {prompt}

        ---
        You are running as step {step_id} under Orchestra, which watches for files to learn how you finished.
        - Keep your plan in {plan_file} and update it as you work.
        - When you have finished successfully, create {done_file}. Whatever you write in it is your final answer.
        - If you cannot finish, create {error_file} holding JSON:
          {"error": "what went wrong", "transient": false}
          Set "transient" to true only when trying again later could succeed (a network failure, a rate limit).
        - Create exactly one of these two files, as your very last action.
        """;

    /// <summary>The failure reported when a process ended without an observed exit status and without a sentinel.</summary>
    public const string LostProcessMessage = "the agent process exited while no orchestrator was watching and left no sentinel";

    /// <summary>The message given on platforms other than Linux.</summary>
    public const string NotSupportedMessage = "the cli agent kind runs on Linux only for now: process groups on Windows and macOS are not supported yet";

    private const int OutputTailBytes = 4096;
    private const int ErrorTailChars = 500;
    private const int MaxSentinelBytes = 1 << 20;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Creates a cli agent.</summary>
    /// <param name="name">The definition name.</param>
    /// <param name="options">What to run; validated here.</param>
    /// <param name="paths">The workspace layout: where logs and sentinels go.</param>
    /// <exception cref="ArgumentException">The options cannot work.</exception>
    public CliAgent(string name, CliAgentOptions options, OrchestraPaths paths)
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
    public CliAgentOptions Options { get; }

    /// <inheritdoc />
    /// <remarks>The process runs in its own session and outlives the orchestrator.</remarks>
    public override bool IsDetached => true;

    /// <summary>The workspace layout.</summary>
    public OrchestraPaths Paths { get; }

    /// <summary>
    /// The full path of working directory <paramref name="cwd"/> (relative to <paramref name="root"/>, or absolute).
    /// </summary>
    /// <exception cref="ArgumentException">It is outside <paramref name="root"/>, symbolic links included, or does not exist.</exception>
    public static string ResolveWorkingDirectory(string root, string? cwd)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (string.IsNullOrEmpty(cwd) || cwd == ".")
            return rootFull;
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(rootFull, cwd)));
        string Escapes() => $"cwd '{cwd}' is outside the workspace '{rootFull}': it must name a directory inside it";
        if (!IsInside(full, rootFull))
            throw new ArgumentException(Escapes());
        if (!Directory.Exists(full))
            throw new ArgumentException($"cwd '{cwd}' does not exist: create '{full}' or fix `cwd:`");
        if (OperatingSystem.IsLinux() && Libc.RealPath(full) is { } real && Libc.RealPath(rootFull) is { } realRoot && !IsInside(real, realRoot))
            throw new ArgumentException(Escapes());
        return full;

        static bool IsInside(string path, string dir) =>
            path == dir || path.StartsWith(dir.EndsWith('/') ? dir : dir + "/", StringComparison.Ordinal);
    }

    /// <inheritdoc />
    protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
            return AgentResult.Permanent(NotSupportedMessage);
        var step = context.Step;
        var stepId = step.Id;
        if (!Ids.IsValid(stepId))
            return AgentResult.Permanent($"'{stepId}' is not a valid step id");
        var root = string.IsNullOrEmpty(context.WorkDirectory) ? Paths.Root : Path.GetFullPath(context.WorkDirectory);
        string cwd;
        try
        {
            cwd = ResolveWorkingDirectory(root, Options.Cwd);
        }
        catch (ArgumentException ex)
        {
            return AgentResult.Permanent($"agent '{Name}': {ex.Message}");
        }

        Directory.CreateDirectory(Paths.LogsDir);
        Directory.CreateDirectory(Paths.StepsDir);
        Directory.CreateDirectory(Paths.PlansDir);
        foreach (var stale in new[] { Paths.DoneFile(stepId), Paths.ErrorFile(stepId), Paths.CancelledFile(stepId), Paths.TimeoutFile(stepId), Paths.HandleFile(stepId) })
            File.Delete(stale);

        var log = Paths.LogFile(stepId);
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = context.Prompt,
            ["step_id"] = stepId,
            ["run_id"] = step.RunId,
            ["attempt"] = context.Attempt.ToString(CultureInfo.InvariantCulture),
            ["workdir"] = root,
            ["log"] = log,
            ["done_file"] = Paths.DoneFile(stepId),
            ["error_file"] = Paths.ErrorFile(stepId),
            ["plan_file"] = Paths.PlanFile(stepId),
        };
        string? template;
        try
        {
            template = ReadTemplate();
        }
        catch (IOException ex)
        {
            return AgentResult.Permanent($"agent '{Name}': the prompt template could not be read: {ex.Message}");
        }
        if (template is not null)
            values["prompt"] = Placeholders.Substitute(template, values);

        var argv = Options.Command.Select(a => Placeholders.Substitute(a, values)).ToList();
        var environment = BuildEnvironment(values, root, stepId, step.RunId, context.Attempt);

        if (cancellationToken.IsCancellationRequested)
            return AgentResult.Cancel();

        File.AppendAllText(log, $"--- orchestra: step {stepId}, attempt {context.Attempt}, {context.Time.GetUtcNow():O} ---\n");
        var offset = new FileInfo(log).Length;
        WriteHandleFile(stepId, context.Attempt, new CliHandle(0, 0, log, offset));
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = argv,
            Environment = environment,
            WorkingDirectory = cwd,
            OutputFile = log,
        });
        if (launch.Process is not { } process)
            return LaunchFailure(argv[0], launch);

        var handle = new CliHandle(process.Pid, process.StartTime, log, offset);
        WriteHandleFile(stepId, context.Attempt, handle);
        try
        {
            await context.SetHandleAsync(handle.ToJson(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing may run that no record points to.
            await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: true).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
                return Cancelled(stepId);
            return AgentResult.Transient($"agent '{Name}': the process handle could not be recorded: {ex.Message}");
        }
        context.Emit(new AgentEvent("process.started", new JsonObject { ["pid"] = process.Pid, ["log"] = log }));
        return await WatchAsync(stepId, handle, mayBeChild: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Settles a step whose worker is gone: a sentinel decides if there is one; otherwise a process still running
    /// (same pid and start time) is <see cref="ReconcileStatus.StillRunning"/>, and a dead one is a transient failure.
    /// When the store has no handle (the worker died before recording it), the handle file of the step's current attempt
    /// stands in for it; a process it does not name yet is looked for by its environment; a handle found is returned.
    /// Never signals anything.
    /// </summary>
    public override ValueTask<ReconcileResult> ReconcileAsync(StepRecord step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Handle is null)
            return ValueTask.FromResult(ReconcileUnrecorded(step));
        if (CliHandle.TryParse(step.Handle) is not { } handle)
            return Finished(AgentResult.Transient($"agent '{Name}': the recorded process handle could not be read"));
        if (!Ids.IsValid(step.Id))
            return Finished(AgentResult.Permanent($"'{step.Id}' is not a valid step id"));
        if (ReadSentinel(step.Id, handle) is { } result)
            return Finished(result);
        if (ProcessProbe.IsAlive(handle.Process))
            return ValueTask.FromResult(new ReconcileResult(ReconcileStatus.StillRunning));
        return Finished(AgentResult.Transient(LostProcessMessage));

        static ValueTask<ReconcileResult> Finished(AgentResult r) => ValueTask.FromResult(new ReconcileResult(ReconcileStatus.Finished, r));
    }

    /// <summary>
    /// Reconciles an attempt whose worker died before the store recorded a handle, from the attempt's handle file:
    /// not applicable when there is none (the process was never started); otherwise its sentinel, its process (named
    /// by the file, or found by its environment when the worker died before writing the pid), or a lost process.
    /// </summary>
    private ReconcileResult ReconcileUnrecorded(StepRecord step)
    {
        if (!Ids.IsValid(step.Id) || ReadHandleFile(step.Id, step.Attempt) is not { } handle)
            return ReconcileResult.NotApplicable;
        if (handle.Pid <= 1 && FindProcess(step.Id, step.Attempt) is { } process)
            handle = handle with { Pid = process.Pid, Start = process.StartTime };
        if (ReadSentinel(step.Id, handle) is { } result)
            return new ReconcileResult(ReconcileStatus.Finished, result);
        if (handle.Pid > 1 && ProcessProbe.IsAlive(handle.Process))
            return new ReconcileResult(ReconcileStatus.StillRunning) { Handle = handle.ToJson() };
        // Announced but not found: it may never have started. The engine treats the attempt as lost.
        return handle.Pid > 1 ? new ReconcileResult(ReconcileStatus.Finished, AgentResult.Transient(LostProcessMessage)) : ReconcileResult.NotApplicable;
    }

    /// <summary>The live process that leads its own process group and was started for this step and attempt, if any.</summary>
    private static ProcessIdentity? FindProcess(string stepId, int attempt) => HandleFile.FindProcess(stepId, attempt);

    /// <summary>
    /// Waits for the process recorded in the step's handle, as <see cref="Agent.InvokeAsync"/> would have. When it is not
    /// this process's child its exit status cannot be read, so a sentinel decides, and none is a transient failure.
    /// </summary>
    public override async ValueTask<AgentResult> ResumeAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!OperatingSystem.IsLinux())
            return AgentResult.Permanent(NotSupportedMessage);
        if (CliHandle.TryParse(context.Step.Handle) is not { } handle)
            return AgentResult.Transient($"agent '{Name}': there is no readable process handle to resume");
        if (!Ids.IsValid(context.Step.Id))
            return AgentResult.Permanent($"'{context.Step.Id}' is not a valid step id");
        try
        {
            // waitpid only on the very process recorded: a reused pid is never waited for.
            var mayBeChild = ProcessProbe.Read(handle.Pid) is { } stat && stat.StartTime == handle.Start;
            return await WatchAsync(context.Step.Id, handle, mayBeChild, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return AgentResult.Permanent($"agent '{Name}' failed: {ex.Message}");
        }
    }

    /// <summary>Stops the process group recorded in <paramref name="handle"/>: SIGTERM, then SIGKILL after the grace period. A pid now used by another process is left alone.</summary>
    public override async ValueTask TerminateAsync(string handle, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux() || CliHandle.TryParse(handle) is not { } parsed)
            return;
        await ProcessGroups.TerminateAsync(parsed.Process, Options.GracePeriod, reapLeader: true).ConfigureAwait(false);
    }

    private async Task<AgentResult> WatchAsync(string stepId, CliHandle handle, bool mayBeChild, CancellationToken cancellationToken)
    {
        var process = handle.Process;
        var watchSentinels = Options.Completion != CliCompletion.Exit;
        ExitStatus? exit = null;
        var sentinelSeen = false;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: mayBeChild).ConfigureAwait(false);
                return Cancelled(stepId);
            }
            if (ChildProcess.HasEnded(process, ref mayBeChild, ref exit))
                break;
            if (watchSentinels && (File.Exists(Paths.DoneFile(stepId)) || File.Exists(Paths.ErrorFile(stepId))))
            {
                sentinelSeen = true;
                break;
            }
            try
            {
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Handled at the top of the loop.
            }
        }

        if (sentinelSeen)
        {
            // The agent may still be finishing (printing a summary, flushing): it gets the grace period to exit.
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Options.GracePeriod && !ChildProcess.HasEnded(process, ref mayBeChild, ref exit))
                await Task.Delay(PollInterval, CancellationToken.None).ConfigureAwait(false);
        }
        // Stop whatever is left of the tree: background children, or the agent itself if it outstayed its sentinel.
        var reaped = await ProcessGroups.TerminateAsync(process, Options.GracePeriod, reapLeader: mayBeChild && exit is null).ConfigureAwait(false);
        exit ??= reaped;
        return Map(stepId, handle, exit);
    }

    private AgentResult Map(string stepId, CliHandle handle, ExitStatus? exit)
    {
        if (Options.Completion != CliCompletion.Exit || exit is null)
        {
            if (ReadSentinel(stepId, handle) is { } result)
                return result;
        }
        if (exit is not { } status)
            return AgentResult.Transient(LostProcessMessage);
        var missing = Options.Completion == CliCompletion.Sentinel
            ? $" without writing {Relative(Paths.DoneFile(stepId))} or {Relative(Paths.ErrorFile(stepId))}"
            : "";
        if (status.Signal is { } signal)
            return AgentResult.Transient($"the agent process was killed by signal {signal}{missing}{ErrorTail(handle)}");
        return status.Code switch
        {
            0 when Options.Completion == CliCompletion.Sentinel => AgentResult.Permanent($"the agent exited with code 0{missing}{ErrorTail(handle)}"),
            0 => AgentResult.Success(ReadLogTail(handle, OutputTailBytes)),
            75 => AgentResult.Transient($"the agent exited with code 75 (temporary failure){missing}{ErrorTail(handle)}"),
            var code => AgentResult.Permanent($"the agent exited with code {code}{missing}{ErrorTail(handle)}"),
        };
    }

    /// <summary>The result a sentinel of the step gives, or null when there is none.</summary>
    private AgentResult? ReadSentinel(string stepId, CliHandle handle)
    {
        if (ReadSmall(Paths.ErrorFile(stepId)) is { } error)
            return MapError(error.Trim(), Relative(Paths.ErrorFile(stepId)));
        if (ReadSmall(Paths.DoneFile(stepId)) is { } done)
            return MapDone(done.Trim(), handle);
        if (ReadSmall(Paths.CancelledFile(stepId)) is not null)
            return AgentResult.Cancel();
        if (ReadSmall(Paths.TimeoutFile(stepId)) is { } timeout)
            return AgentResult.Timeout(timeout.Trim() is { Length: > 0 } t ? t : "timed out");
        return null;
    }

    private static AgentResult MapError(string text, string file)
    {
        if (text.Length == 0)
            return AgentResult.Permanent($"the agent reported an error in {file} without details");
        if (TryParseObject(text) is { } o)
        {
            var message = o["error"] is JsonValue e && e.TryGetValue<string>(out var m) && m.Length > 0 ? m
                : o["message"] is JsonValue e2 && e2.TryGetValue<string>(out var m2) && m2.Length > 0 ? m2
                : text;
            var transient = o["transient"] is JsonValue t && t.TryGetValue<bool>(out var b) && b;
            return transient ? AgentResult.Transient(message) : AgentResult.Permanent(message);
        }
        return AgentResult.Permanent(text);
    }

    private static AgentResult MapDone(string text, CliHandle handle)
    {
        if (text.Length == 0)
            return AgentResult.Success(ReadLogTail(handle, OutputTailBytes));
        if (TryParseObject(text) is not { } o)
            return AgentResult.Success(text);
        var output = o["output"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : text;
        var route = o["route"] is JsonValue r && r.TryGetValue<string>(out var rs) ? rs : null;
        return AgentResult.Success(output, data: o["data"]?.DeepClone()) with { Route = route };
    }

    private static JsonObject? TryParseObject(string text)
    {
        if (!text.StartsWith('{'))
            return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private AgentResult Cancelled(string stepId)
    {
        try
        {
            Directory.CreateDirectory(Paths.StepsDir);
            File.WriteAllText(Paths.CancelledFile(stepId), DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The result is what counts; the marker is for people looking at the directory.
        }
        return AgentResult.Cancel();
    }

    private AgentResult LaunchFailure(string program, LaunchResult launch)
    {
        var fix = $"`command:` in .orchestra/agents/{Name}.yaml";
        if (launch.NotFound)
            return AgentResult.Permanent($"command '{program}' not found: install it or fix {fix}");
        return launch.Errno switch
        {
            Libc.ENOENT => AgentResult.Permanent($"command '{program}' could not be started: the interpreter named by its #! line was not found; fix it or {fix}"),
            Libc.EACCES => AgentResult.Permanent($"command '{program}' is not executable (permission denied): fix its permissions or {fix}"),
            Libc.ENOEXEC => AgentResult.Permanent($"command '{program}' is not a program this system can run: fix {fix}"),
            Libc.E2BIG => AgentResult.Permanent($"the command line of agent '{Name}' is too long (one argument may hold at most 128 KiB): pass the prompt through a file"),
            Libc.EAGAIN or Libc.ENOMEM => AgentResult.Transient($"agent '{Name}': {launch.Error}"),
            _ => AgentResult.Permanent($"agent '{Name}': {launch.Error}"),
        };
    }

    private string? ReadTemplate()
    {
        if (Options.PromptTemplate is { } path)
            return File.ReadAllText(Path.IsPathRooted(path) ? path : Path.Combine(Paths.Root, path));
        return Options.Completion == CliCompletion.Sentinel ? DefaultProtocolPrompt : null;
    }

    private Dictionary<string, string> BuildEnvironment(IReadOnlyDictionary<string, string> values, string root, string stepId, string runId, int attempt)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.Length > 0 && !key.Contains('=', StringComparison.Ordinal))
                environment[key] = entry.Value as string ?? "";
        }
        foreach (var (key, value) in Options.Env)
            environment[key] = Placeholders.Substitute(value, values);
        environment["ORCHESTRA_STEP_ID"] = stepId;
        environment["ORCHESTRA_RUN_ID"] = runId;
        environment["ORCHESTRA_ATTEMPT"] = attempt.ToString(CultureInfo.InvariantCulture);
        environment["ORCHESTRA_DONE_FILE"] = Paths.DoneFile(stepId);
        environment["ORCHESTRA_ERROR_FILE"] = Paths.ErrorFile(stepId);
        environment["ORCHESTRA_PLAN_FILE"] = Paths.PlanFile(stepId);
        environment["ORCHESTRA_LOG_FILE"] = Paths.LogFile(stepId);
        environment["ORCHESTRA_WORKDIR"] = root;
        return environment;
    }

    private string Relative(string path) => Path.GetRelativePath(Paths.Root, path);

    /// <summary>
    /// Writes <see cref="OrchestraPaths.HandleFile"/>: the handle's JSON with the attempt it belongs to. Before the process
    /// starts, its pid and start time are 0.
    /// </summary>
    private void WriteHandleFile(string stepId, int attempt, CliHandle handle) => HandleFile.Write(Paths, stepId, attempt, handle);

    /// <summary>
    /// The handle in <see cref="OrchestraPaths.HandleFile"/> when it was written for <paramref name="attempt"/>, else null.
    /// Its pid is 0 when the file was written before the process started.
    /// </summary>
    private CliHandle? ReadHandleFile(string stepId, int attempt) => HandleFile.Read(Paths, stepId, attempt)?.Handle;

    private static string ErrorTail(CliHandle handle)
    {
        var tail = ReadLogTail(handle, ErrorTailChars * 4).Trim();
        if (tail.Length > ErrorTailChars)
            tail = "…" + tail[^ErrorTailChars..];
        return tail.Length == 0 ? "" : $"; last output: {tail}";
    }

    /// <summary>The last <paramref name="maxBytes"/> bytes this attempt wrote to the log, as text.</summary>
    private static string ReadLogTail(CliHandle handle, int maxBytes)
    {
        if (string.IsNullOrEmpty(handle.Log))
            return "";
        try
        {
            using var stream = new FileStream(handle.Log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = stream.Length;
            var start = Math.Max(Math.Min(handle.Offset, length), length - maxBytes);
            stream.Position = start;
            var buffer = new byte[length - start];
            stream.ReadExactly(buffer);
            var skip = 0;
            // Do not begin in the middle of a UTF-8 sequence.
            while (skip < buffer.Length && skip < 3 && start > handle.Offset && (buffer[skip] & 0xC0) == 0x80)
                skip++;
            return Encoding.UTF8.GetString(buffer, skip, buffer.Length - skip);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? ReadSmall(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[(int)Math.Min(stream.Length, MaxSentinelBytes)];
            stream.ReadExactly(buffer);
            return Encoding.UTF8.GetString(buffer);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
