namespace Orchestra.Agents.Cli;

/// <summary>How a cli agent's process tells the orchestrator that it has finished.</summary>
public enum CliCompletion
{
    /// <summary>A sentinel file (<c>.done</c> or <c>.error</c>) decides if the agent wrote one; otherwise the exit code does. The default.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("exit_or_sentinel")]
    ExitOrSentinel,
    /// <summary>Only the exit code decides; sentinel files are ignored while the orchestrator watches the process.</summary>
    Exit,
    /// <summary>The agent must write a sentinel file; exiting without one is a failure.</summary>
    Sentinel,
}

/// <summary>The definition of a <c>cli</c> agent: the program to run for each step and how to read its outcome.</summary>
public sealed record CliAgentOptions
{
    /// <summary>
    /// The argument vector, program first. Each element may hold <c>{prompt}</c>, <c>{step_id}</c>, <c>{run_id}</c>,
    /// <c>{attempt}</c>, <c>{workdir}</c> and <c>{log}</c>, which are substituted within that element: an element
    /// stays one argument whatever the values hold, and no shell ever parses the command.
    /// </summary>
    public required IReadOnlyList<string> Command { get; set; }

    /// <summary>Environment variables added to the inherited environment; values may hold the same placeholders as <see cref="Command"/>.</summary>
    public IReadOnlyDictionary<string, string> Env { get; set; } = new Dictionary<string, string>();

    /// <summary>The working directory, relative to the workspace root (or absolute); it must be inside the workspace and exist. Null: the workspace root.</summary>
    public string? Cwd { get; set; }

    /// <summary>How the outcome is decided.</summary>
    public CliCompletion Completion { get; set; } = CliCompletion.ExitOrSentinel;

    /// <summary>
    /// A template file (relative to the workspace root, or absolute) whose <c>{prompt}</c>, <c>{step_id}</c>,
    /// <c>{done_file}</c>, <c>{error_file}</c> and <c>{plan_file}</c> are replaced to make the prompt, to teach the agent
    /// the sentinel protocol. Null: the prompt is passed as is, except under <see cref="CliCompletion.Sentinel"/>, where
    /// <see cref="CliAgent.DefaultProtocolPrompt"/> is used.
    /// </summary>
    public string? PromptTemplate { get; set; }

    /// <summary>How long a stopped process gets between SIGTERM and SIGKILL.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most steps of this agent that may run at once, or null for no limit.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> when the options cannot work.</summary>
    public void Validate()
    {
        if (Command is null || Command.Count == 0 || string.IsNullOrWhiteSpace(Command[0]))
            throw new ArgumentException("`command:` must name a program, for example [\"my-agent\", \"--prompt\", \"{prompt}\"]");
        if (Command.Any(a => a is null))
            throw new ArgumentException("`command:` must not hold null elements");
        foreach (var (key, value) in Env ?? throw new ArgumentException("`env:` must not be null"))
        {
            if (string.IsNullOrEmpty(key) || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"'{key}' is not a valid environment variable name");
            if (value is null || value.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"the value of environment variable '{key}' must be a string without NUL characters");
        }
        if (GracePeriod < TimeSpan.Zero)
            throw new ArgumentException("the grace period must not be negative");
        if (MaxConcurrency is <= 0)
            throw new ArgumentException("max concurrency must be positive");
        if (!Enum.IsDefined(Completion))
            throw new ArgumentException($"unknown completion mode {Completion}");
    }
}
