using System.Collections.Concurrent;
using Orchestra.Core.Agents;

namespace Orchestra.Core.Tests.Support;

/// <summary>An agent whose behaviour is a delegate; it records every call.</summary>
public sealed class FuncAgent(string name, Func<AgentContext, CancellationToken, ValueTask<AgentResult>> run) : Agent(name)
{
    public ConcurrentQueue<AgentContext> Calls { get; } = new();

    public static FuncAgent Echo(string name) => new(name, (c, _) => ValueTask.FromResult(AgentResult.Success(c.Prompt)));

    protected override ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(context);
        return run(context, cancellationToken);
    }
}
