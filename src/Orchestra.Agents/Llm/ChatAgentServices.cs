using Orchestra.Core.Agents;

namespace Orchestra.Agents.Llm;

/// <summary>What every <see cref="ChatAgent"/> of a workspace shares: profiles, keys, aliases, prices, the cassette, tools.</summary>
public sealed class ChatAgentServices
{
    /// <summary>Provider profiles.</summary>
    public ProviderCatalog Providers { get; init; } = ProviderCatalog.BuiltIn;

    /// <summary>Where keys come from.</summary>
    public CredentialStore Credentials { get; init; } = CredentialStore.User;

    /// <summary>The workspace's model aliases (the run default), consulted after the agent's own.</summary>
    public IReadOnlyDictionary<string, string> Models { get; init; } = new Dictionary<string, string>();

    /// <summary>Model prices.</summary>
    public PriceTable Prices { get; init; } = PriceTable.Default;

    /// <summary>The cassette provider calls are recorded to or replayed from, or null.</summary>
    public Cassette? Cassette { get; init; }

    /// <summary>In-call retries and the circuit breaker.</summary>
    public ResilienceOptions Resilience { get; init; } = ResilienceOptions.Default;

    /// <summary>Builds the tools of one call from the agent's options, or null when tools are not available.</summary>
    public Func<ChatAgentOptions, AgentContext, CancellationToken, ValueTask<IToolHost?>>? Tools { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
