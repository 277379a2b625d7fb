using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra start AGENT PROMPT</c>: queue one task and print its id.</summary>
internal static class StartCommand
{
    private static readonly Argument<string> Agent = new("agent") { Description = "The agent (a file in .orchestra/agents/)." };
    private static readonly Argument<string> Prompt = new("prompt") { Description = "What the agent should do. Use - to read it from standard input." };
    private static readonly Option<string[]> After = new("--after") { Description = "Wait for this step to succeed first (repeatable).", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<int> Priority = new("--priority") { Description = "Higher runs first (default 0)." };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Time allowed per attempt, e.g. 20m." };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "Attempts allowed for transient failures (default from config.yaml, 1)." };
    private static readonly Option<string?> Key = new("--idempotency-key") { Description = "Starting twice with the same key queues one task." };
    private static readonly Option<string?> Name = new("--name") { Description = "A name for the task (default: the agent)." };
    private static readonly Option<bool> Skip = new("--skip-on-failure") { Description = "Skip (rather than fail) this task if a dependency fails." };
    private static readonly Option<bool> Worktree = new("--worktree") { Description = "Run the task in its own git worktree, on its own branch; its changes are committed there (see 'orchestra diff' and 'orchestra merge')." };

    /// <summary>Most bytes of a prompt. <value>The default value is 1 MiB.</value></summary>
    private const int MaxPromptBytes = 1024 * 1024;

    public static Command Create()
    {
        var command = new Command("start", "Queue a task for an agent; prints only its id and returns at once.")
        {
            Agent, Prompt, After, Priority, Timeout, MaxAttempts, Key, Name, Skip, Worktree,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var p = ctx.Parse;
            var prompt = p.GetValue(Prompt)!;
            if (prompt == "-")
                prompt = await Console.In.ReadToEndAsync(ct);
            if (System.Text.Encoding.UTF8.GetByteCount(prompt) > MaxPromptBytes)
                throw new OrchestraException($"The prompt is larger than {MaxPromptBytes / 1024} KiB: put the material in a file and refer to it.");
            var timeout = p.GetValue(Timeout) is { } t ? Durations.Parse(t, "--timeout") : (TimeSpan?)null;
            var agent = p.GetValue(Agent)!;
            if (!ctx.Workspace.Agents.Contains(agent))
                throw new OrchestraException(ctx.Workspace.Agents.UnknownMessage(agent), ErrorKind.NotFound);
            var worktree = p.GetValue(Worktree);
            JsonObject? input = worktree ? new JsonObject { [Isolation.InputKey] = Isolation.Name(StepIsolation.Worktree) } : null;
            if (worktree || ctx.Workspace.Agents.IsolationOf(agent) == StepIsolation.Worktree)
            {
                // Refused now, not when a worker reaches the task: git missing, not a repository, uncommitted changes,
                // a branch in the way.
                await ctx.Workspace.Git.CheckReadyAsync(ct);
            }
            var after = new List<string>();
            foreach (var id in p.GetValue(After) ?? [])
                after.Add(await ctx.ResolveStepIdAsync(id, ct));
            var fast = after.Count == 0 && p.GetValue(Key) is null && OrchestraWorkspace.UsesDefaultStore(ctx.StorePath);
            var spec = new StepSpec
            {
                Name = p.GetValue(Name),
                Agent = agent,
                Prompt = prompt,
                DependsOn = after,
                Priority = p.GetValue(Priority),
                Timeout = timeout,
                MaxAttempts = p.GetValue(MaxAttempts) ?? ctx.Workspace.DefaultMaxAttempts,
                IdempotencyKey = p.GetValue(Key),
                OnDependencyFailure = p.GetValue(Skip) ? DependencyFailurePolicy.Skip : null,
                Input = input,
            };
            if (fast)
            {
                // Accepted into the inbox without opening the store: the next command or worker brings it in.
                ctx.Out.WriteLine(ctx.Workspace.Inbox.Accept(spec, ctx.Time));
                return ExitCodes.Success;
            }
            var submission = await ctx.SubmissionEngine.StartAsync(spec, ct);
            ctx.Out.WriteLine(submission.Steps[0].Id);
            return ExitCodes.Success;
        });
        return command;
    }
}
