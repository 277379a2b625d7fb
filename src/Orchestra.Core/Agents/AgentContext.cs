using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Agents;

/// <summary>Everything an agent gets for one attempt of one step.</summary>
public sealed class AgentContext
{
    private readonly Action<AgentEvent> _emit;
    private readonly Func<string, CancellationToken, ValueTask> _setHandle;
    private readonly Func<string, CancellationToken, ValueTask<SessionRecord?>> _loadSession;

    /// <summary>Creates a context. The engine creates these; tests may too.</summary>
    public AgentContext(
        StepRecord step,
        JsonObject state,
        string workDirectory,
        TimeProvider time,
        Action<AgentEvent>? emit = null,
        Func<string, CancellationToken, ValueTask>? setHandle = null,
        Func<string, CancellationToken, ValueTask<SessionRecord?>>? loadSession = null)
    {
        Step = step;
        State = state;
        WorkDirectory = workDirectory;
        Time = time;
        _emit = emit ?? (_ => { });
        _setHandle = setHandle ?? ((_, _) => ValueTask.CompletedTask);
        _loadSession = loadSession ?? ((_, _) => ValueTask.FromResult<SessionRecord?>(null));
    }

    /// <summary>The step being executed, at its current attempt.</summary>
    public StepRecord Step { get; }

    /// <summary>The prompt to give the agent.</summary>
    public string Prompt => Step.Prompt;

    /// <summary>The attempt number; with the step id, the idempotency key of any side effect.</summary>
    public int Attempt => Step.Attempt;

    /// <summary>A snapshot of the run's state document.</summary>
    public JsonObject State { get; }

    /// <summary>The workspace directory the agent works in.</summary>
    public string WorkDirectory { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary><c>run_id/step_id/attempt</c>: pass it to anything that can deduplicate.</summary>
    public string IdempotencyKey => $"{Step.RunId}/{Step.Id}/{Step.Attempt}";

    /// <summary>Reports an event. Never blocks on I/O.</summary>
    public void Emit(AgentEvent agentEvent) => _emit(agentEvent);

    /// <summary>
    /// Records a handle to external work (a process id, a remote job id) durably before the agent waits
    /// on it, so that the work can be found again after the orchestrator restarts.
    /// </summary>
    public ValueTask SetHandleAsync(string handle, CancellationToken cancellationToken = default) =>
        _setHandle(handle, cancellationToken);

    /// <summary>Reads a conversation session by name, or null when it does not exist yet.</summary>
    public ValueTask<SessionRecord?> LoadSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _loadSession(sessionId, cancellationToken);
}
