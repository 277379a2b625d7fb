using Orchestra.Core.Agents;

namespace Orchestra.Storage.Tests.Support;

/// <summary>A trivial agent that succeeds with its prompt as output. Engine-level tests complete steps themselves.</summary>
public sealed class EchoAgent(string name = "echo") : Agent(name)
{
    protected override ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AgentResult.Success(context.Prompt));
}
