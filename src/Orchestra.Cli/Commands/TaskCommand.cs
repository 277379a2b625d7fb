using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Llm;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra task AGENT PROMPT</c>: one task, executed now, with the agent's output streamed to the terminal.</summary>
internal static class TaskCommand
{
    private static readonly Argument<string> Agent = new("agent") { Description = "The agent (a file in .orchestra/agents/)." };
    private static readonly Argument<string> Prompt = new("prompt") { Description = "What the agent should do. Use - to read it from standard input." };
    private static readonly Option<string?> Provider = new("--provider") { Description = "Use this provider profile instead of the agent's (openai, openrouter, gemini, local, anthropic, ...)." };
    private static readonly Option<string?> Model = new("--model", "-m") { Description = "Use this model or alias (smart, worker, cheap) instead of the agent's." };
    private static readonly Option<string?> Session = new("--session", "-s") { Description = "Continue (or start) this named conversation; it persists across runs." };
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print one JSON object (output, usage, cost) instead of streaming text." };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Time allowed per attempt, e.g. 5m." };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "Attempts allowed for transient failures (default from config.yaml, 1)." };

    private const int MaxPromptBytes = 1024 * 1024;

    public static Command Create()
    {
        var command = new Command("task", "Run one task now and stream the agent's output; ends with the final text (or --json).")
        {
            Agent, Prompt, Provider, Model, Session, JsonOutput, Timeout, MaxAttempts, CassetteOptions.Record, CassetteOptions.Replay,
        };
        command.SetAction(async (ctx, ct) =>
        {
            var p = ctx.Parse;
            var prompt = p.GetValue(Prompt)!;
            if (prompt == "-")
                prompt = await Console.In.ReadToEndAsync(ct);
            if (string.IsNullOrWhiteSpace(prompt))
                throw new OrchestraException("The prompt is empty: say what the agent should do.");
            if (System.Text.Encoding.UTF8.GetByteCount(prompt) > MaxPromptBytes)
                throw new OrchestraException($"The prompt is larger than {MaxPromptBytes / 1024} KiB: put the material in a file and refer to it.");
            var timeout = p.GetValue(Timeout) is { } t ? Durations.Parse(t, "--timeout") : (TimeSpan?)null;
            var session = p.GetValue(Session);
            if (session is not null && !Ids.IsValidName(session))
                throw new OrchestraException($"'{session}' is not a valid session name: use letters, digits, '-' and '_'.");
            var cassette = CassetteOptions.Apply(ctx);

            var agentName = p.GetValue(Agent)!;
            var agent = ctx.Workspace.Agents.Get(agentName);
            var input = new JsonObject();
            if (p.GetValue(Provider) is { } provider) input["provider"] = provider;
            if (p.GetValue(Model) is { } model) input["model"] = model;
            if (session is not null) input["session"] = session;
            if (agent is ChatAgent chat)
            {
                // Unknown provider, no model, missing key: refused before anything is written.
                _ = chat.ResolveTarget(input);
            }
            else if (agent is CodexAgent)
            {
                // Codex picks its provider from its own configuration (or the agent's base_url).
                if (input.ContainsKey("provider"))
                    throw new OrchestraException($"--provider applies to openai and anthropic agents; set base_url in .orchestra/agents/{agentName}.yaml for codex.");
            }
            else if (input.ContainsKey("provider") || input.ContainsKey("model") || (session is not null && agent is not Orchestra.Agents.ClaudeCode.ClaudeCodeAgent))
            {
                throw new OrchestraException(session is not null && !input.ContainsKey("provider") && !input.ContainsKey("model")
                    ? $"--session applies to openai, anthropic and claude-code agents; '{agentName}' is not one."
                    : $"--provider and --model apply to openai and anthropic agents; '{agentName}' is not one.");
            }

            var json = p.GetValue(JsonOutput);
            var submission = await ctx.Engine.StartAsync(new StepSpec
            {
                Agent = agentName,
                Prompt = prompt,
                Input = input.Count > 0 ? input : null,
                Timeout = timeout,
                MaxAttempts = p.GetValue(MaxAttempts) ?? ctx.Workspace.DefaultMaxAttempts,
            }, ct);
            var step = submission.Steps[0];
            var view = new LiveView(ctx, step.Id, json);
            using (ctx.Engine.Events.Subscribe(view.OnEvent))
            using (var worker = new Worker(ctx.Engine, new WorkerOptions
            {
                Parallelism = 1,
                UntilIdle = true,
                RunId = submission.Run.Id,
                PollInterval = ctx.Workspace.Config.PollInterval,
                WorkerId = WorkerIdentity.ForCurrentProcess(),
            }))
            {
                await worker.RunAsync(ct);
            }
            if (ct.IsCancellationRequested)
                return 130;

            var done = await ctx.Store.GetStepAsync(step.Id, ct) ?? throw new OrchestraException($"step {step.Id} disappeared while it ran", ErrorKind.Environment);
            view.Finish(done, session);
            CassetteOptions.Report(ctx, cassette);
            return done.Status == StepStatus.Succeeded ? ExitCodes.Success : ExitCodes.WorkFailed;
        });
        return command;
    }

    /// <summary>Writes tokens as they arrive, tool calls and retries as notes on standard error, and the end.</summary>
    private sealed class LiveView(CliContext ctx, string stepId, bool json)
    {
        private readonly Lock _lock = new();
        private bool _streamed;
        private bool _atLineStart = true;

        public void OnEvent(RunEvent e)
        {
            if (e.StepId != stepId)
                return;
            lock (_lock)
            {
                var kind = e.Data?["kind"]?.GetValue<string>();
                if (e.Type == EventTypes.Delta && kind == "token")
                {
                    if (json)
                        return;
                    var text = e.Data?["text"]?.GetValue<string>() ?? "";
                    ctx.Out.Write(text);
                    ctx.Out.Flush();
                    _streamed = true;
                    _atLineStart = text.EndsWith('\n');
                }
                else if (e.Type == EventTypes.Agent && kind == "tool_call" && !json)
                {
                    Note($"→ {e.Data?["tool"]} {StepView.Short(e.Data?["arguments"]?.GetValue<string>() ?? "", 120)}");
                }
                else if (e.Type == EventTypes.Agent && kind == "tool_result" && !json && e.Data?["is_error"]?.GetValue<bool>() == true)
                {
                    Note($"← {e.Data?["tool"]} failed: {StepView.Short(e.Data?["result"]?.GetValue<string>() ?? "", 160)}");
                }
                else if (e.Type == EventTypes.StepRetrying)
                {
                    var delay = TimeSpan.FromMilliseconds(e.Data?["delay_ms"]?.GetValue<long>() ?? 0);
                    Note($"↻ attempt {e.Data?["attempt"]} failed, retrying in {Durations.Format(delay)}: {StepView.Short(e.Data?["error"]?.GetValue<string>() ?? "", 200)}");
                    _streamed = false;
                }
            }
        }

        private void Note(string text)
        {
            if (!_atLineStart)
            {
                ctx.Out.WriteLine();
                _atLineStart = true;
            }
            ctx.Error.WriteLine(text);
        }

        public void Finish(StepRecord step, string? session)
        {
            lock (_lock)
            {
                if (json)
                {
                    var o = new JsonObject
                    {
                        ["run_id"] = step.RunId,
                        ["step_id"] = step.Id,
                        ["agent"] = step.Agent,
                        ["status"] = step.Status.ToWire(),
                        ["output"] = step.Output,
                        ["data"] = step.Result?.DeepClone(),
                        ["usage"] = StepView.UsageJson(step.Usage),
                        ["cost_usd"] = step.Usage.CostUsd,
                        ["attempts"] = step.Attempt,
                    };
                    if (session is not null) o["session"] = session;
                    if (step.Error is not null) o["error"] = step.Error;
                    Json.Write(ctx.Out, o);
                    return;
                }
                if (step.Status == StepStatus.Succeeded)
                {
                    // Agents that do not stream (scripted, cli) print their whole output at the end.
                    if (!_streamed && step.Output is { Length: > 0 } output)
                    {
                        ctx.Out.Write(output);
                        _atLineStart = output.EndsWith('\n');
                    }
                    if (!_atLineStart)
                        ctx.Out.WriteLine();
                }
                else
                {
                    if (!_atLineStart)
                        ctx.Out.WriteLine();
                    ctx.Error.WriteLine($"{step.Status.ToWire()}: {step.Error ?? "no error message"}");
                }
                var usage = step.Usage.IsEmpty ? "" : $" · {StepView.Tokens(step.Usage)} tokens · {StepView.Cost(step.Usage)}";
                ctx.Error.WriteLine($"{step.Id} {step.Status.ToWire()}{usage}");
            }
        }
    }
}
