namespace Orchestra.Workspace;

/// <summary>What <c>orchestra init</c> writes: configuration, example agents and the sentinel-protocol prompt.</summary>
public static class WorkspaceTemplate
{
    /// <summary>Files relative to <c>.orchestra/</c> and their contents.</summary>
    public static IReadOnlyList<(string Path, string Content)> Files { get; } =
    [
        (".gitignore", """
            # Orchestra's state: keep agents/, prompts/ and config.yaml under version control, not these.
            orchestra.db*
            cache/
            logs/
            steps/
            plans/
            worktrees/
            codex/
            claude/
            inbox/
            """),
        ("config.yaml", """
            # Orchestra workspace settings. Every key is optional; the values shown are the defaults.
            parallel: 4              # steps 'orchestra run' and 'orchestra worker' execute at once
            lease: 30s               # a worker that stops heartbeating loses its steps after this
            poll_interval: 200ms     # how often workers look for work queued by other processes
            max_attempts: 1          # default attempts per task ('start --max-attempts', plan 'max_attempts')
            on_dependency_failure: fail   # fail | skip: what dependants of a failed task do
            retry:                   # backoff between attempts of transient failures
              base_delay: 1s
              max_delay: 5m
              multiplier: 2
              jitter: 0.2
            worktree:                # git worktrees of isolated steps ('start --worktree', agents with 'isolation: worktree')
              copy: []               # files git does not carry, copied into each step's worktree, e.g. [".env"]
            """),
        ("agents/coder.yaml", """
            # A deterministic stand-in for a coding agent, so the workspace works offline.
            # Swap it for a real one, for example:
            #   kind: cli
            #   command: ["my-agent", "--task", "{prompt}"]
            kind: scripted
            description: Example coding agent (scripted, offline)
            responses:
              - match: "(?i)flaky"
                output: "Found the race in the retry test and made it deterministic."
                delay: 300ms
                usage: { input_tokens: 1200, output_tokens: 350, cost_usd: 0.0041 }
              - output: "Done: {prompt}"
                delay: 200ms
                usage: { input_tokens: 800, output_tokens: 200, cost_usd: 0.0025 }
            """),
        ("agents/reviewer.yaml", """
            kind: scripted
            description: Example reviewer (scripted, offline)
            responses:
              - output: "Reviewed: looks good. One nit: name the magic number."
                delay: 200ms
                usage: { input_tokens: 900, output_tokens: 120, cost_usd: 0.0022 }
            """),
        ("agents/echo.yaml", """
            # A real process per step: any command as an argv list, never through a shell.
            # {prompt}, {step_id}, {run_id}, {attempt}, {workdir} and {log} are substituted per element.
            kind: cli
            description: Runs echo with the prompt (a real child process)
            command: ["echo", "{prompt}"]
            """),
        ("prompts/protocol.md", Orchestra.Agents.Cli.CliAgent.DefaultProtocolPrompt),
    ];

    /// <summary>Creates <c>.orchestra/</c> under <paramref name="root"/>; existing files are kept. Returns the files written.</summary>
    public static IReadOnlyList<string> Apply(string root)
    {
        var state = Path.Combine(root, OrchestraWorkspace.FolderName);
        var written = new List<string>();
        foreach (var dir in new[] { "", "agents", "prompts", "logs", "steps", "plans" })
            Directory.CreateDirectory(Path.Combine(state, dir));
        foreach (var (relative, content) in Files)
        {
            var path = Path.Combine(state, relative);
            if (File.Exists(path))
                continue;
            File.WriteAllText(path, content + "\n");
            written.Add(path);
        }
        return written;
    }
}
