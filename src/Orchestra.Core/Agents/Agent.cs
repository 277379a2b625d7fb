namespace Orchestra.Core.Agents;

/// <summary>What reconciling a step's external work found.</summary>
public enum ReconcileStatus
{
    /// <summary>The agent has no external work to look at.</summary>
    NotApplicable,
    /// <summary>The external work is still going; it can be resumed.</summary>
    StillRunning,
    /// <summary>The external work finished; the result says how.</summary>
    Finished,
}

/// <summary>The answer of <see cref="Agent.ReconcileAsync"/>.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Result">The result, when <paramref name="Status"/> is <see cref="ReconcileStatus.Finished"/>.</param>
public readonly record struct ReconcileResult(ReconcileStatus Status, AgentResult? Result = null)
{
    /// <summary>Nothing to reconcile.</summary>
    public static ReconcileResult NotApplicable => new(ReconcileStatus.NotApplicable);

    /// <summary>
    /// A handle the agent found for external work of the step's current attempt that the step has no record of (its
    /// worker died after starting the work and before recording the handle), or null. The engine records it when it
    /// adopts the work.
    /// </summary>
    public string? Handle { get; init; }
}

/// <summary>
/// An agent: something that takes a prompt and returns a result, streaming events as it goes.
/// Kinds (scripted, cli, openai, anthropic, claude-code, codex, ...) derive from this class.
/// </summary>
public abstract class Agent
{
    /// <summary>Creates an agent with a definition name.</summary>
    protected Agent(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The definition name.</summary>
    public string Name { get; }

    /// <summary>Most steps of this agent that may run at once, or null for no limit.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>
    /// Where the agent's steps work unless a step's input says otherwise (<see cref="Agents.Isolation.InputKey"/>).
    /// Set by whoever builds the agent from its definition (<c>isolation:</c> in the agent's YAML).
    /// <value>The default value is <see cref="StepIsolation.None"/>.</value>
    /// </summary>
    public StepIsolation Isolation { get; set; }

    /// <summary>
    /// True when the agent's work lives outside this process (a process group) and survives it. A stopping
    /// worker leaves such work running for the next worker to adopt instead of cancelling it.
    /// </summary>
    public virtual bool IsDetached => false;

    /// <summary>
    /// True when the worker may start this agent's steps on its own loop instead of handing them to a pool thread:
    /// the agent's work up to its first pending <c>await</c> is short. In-process function nodes are; agents that
    /// start processes or call remote APIs are not. <value>The default value is false.</value>
    /// </summary>
    public bool RunsInline { get; init; }

    /// <summary>
    /// Runs one attempt. Failures come back as results; an exception escaping the kind is caught here and
    /// reported as a permanent failure naming the agent, so one broken agent never takes a worker down.
    /// </summary>
    public async ValueTask<AgentResult> InvokeAsync(AgentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await InvokeCoreAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return AgentResult.Cancel();
        }
        catch (Exception ex)
        {
            return AgentResult.Permanent($"agent '{Name}' failed: {ex.Message}");
        }
    }

    /// <summary>The kind's implementation of one attempt.</summary>
    protected abstract ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Looks at external work recorded by <see cref="AgentContext.SetHandleAsync"/> when its worker is gone.
    /// The default: the agent keeps no external work.
    /// </summary>
    public virtual ValueTask<ReconcileResult> ReconcileAsync(Model.StepRecord step, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ReconcileResult.NotApplicable);

    /// <summary>Waits for external work that <see cref="ReconcileAsync"/> found still running, as if it had been started by this worker.</summary>
    public virtual ValueTask<AgentResult> ResumeAsync(AgentContext context, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(AgentResult.Transient("the agent cannot resume work started by another worker"));

    /// <summary>Stops external work recorded under <paramref name="handle"/> (cancel, timeout). The default does nothing.</summary>
    public virtual ValueTask TerminateAsync(string handle, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}

/// <summary>Finds the agent that executes a step.</summary>
public interface IAgentResolver
{
    /// <summary>Returns the agent named <paramref name="name"/>, or null when there is none.</summary>
    Agent? Find(string name);

    /// <summary>
    /// True when an agent named <paramref name="name"/> exists and is valid. Resolvers that can answer without
    /// building the agent (from a cache of checked definitions) override this to keep submissions cheap.
    /// </summary>
    bool Contains(string name) => Find(name) is not null;
}

/// <summary>An <see cref="IAgentResolver"/> over a fixed set of agents.</summary>
public sealed class AgentRegistry : IAgentResolver
{
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);

    /// <summary>Creates a registry holding <paramref name="agents"/>.</summary>
    public AgentRegistry(IEnumerable<Agent>? agents = null)
    {
        foreach (var agent in agents ?? [])
            Add(agent);
    }

    /// <summary>Adds or replaces an agent.</summary>
    public AgentRegistry Add(Agent agent)
    {
        _agents[agent.Name] = agent;
        return this;
    }

    /// <inheritdoc />
    public Agent? Find(string name) => _agents.GetValueOrDefault(name);

    /// <summary>All agents.</summary>
    public IReadOnlyCollection<Agent> All => _agents.Values;
}
