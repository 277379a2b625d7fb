using System.Text.Json.Nodes;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Tests.Cli;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.Codex;

/// <summary>A temporary workspace for codex agents, with every process group they start tracked for teardown.</summary>
public abstract class CodexTestBase : CliTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>One invocation's context: records the handle, the events and serves one stored session.</summary>
    protected sealed class Run
    {
        private readonly TaskCompletionSource<CliHandle> _handle = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<AgentEvent> _events = [];

        public Run(CodexTestBase owner, StepRecord step, SessionRecord? session = null)
        {
            Step = step;
            Context = new AgentContext(step, new JsonObject(), owner.Root, TimeProvider.System,
                emit: e =>
                {
                    lock (_events)
                        _events.Add(e);
                },
                setHandle: (h, _) =>
                {
                    var parsed = CliHandle.TryParse(h)!;
                    owner.Track(parsed.Process);
                    _handle.TrySetResult(parsed);
                    return ValueTask.CompletedTask;
                },
                loadSession: (id, _) => ValueTask.FromResult(session?.Id == id ? session : null));
        }

        public StepRecord Step { get; }

        public AgentContext Context { get; }

        public Task<CliHandle> Handle => _handle.Task.WaitAsync(Bound);

        public IReadOnlyList<AgentEvent> Events
        {
            get
            {
                lock (_events)
                    return [.. _events];
            }
        }

        public IEnumerable<AgentEvent> Of(string kind) => Events.Where(e => e.Kind == kind);

        public async Task<AgentResult> InvokeAsync(CodexAgent agent, CancellationToken cancellationToken = default) =>
            await agent.InvokeAsync(Context, cancellationToken).AsTask().WaitAsync(Bound, CancellationToken.None);
    }

    protected static StepRecord NewStep(string prompt, JsonObject? input) => NewStep(prompt) with { Input = input };

    protected CodexAgent Codex(CodexAgentOptions options, Orchestra.Agents.Llm.PriceTable? prices = null) => new("coder", options, Paths, prices);

    /// <summary>Writes an executable shell script into the workspace and returns its path.</summary>
    protected string Script(string name, string body)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
