using System.Text.Json.Serialization;

namespace Orchestra.Core.Model;

/// <summary>Tokens and money spent by one agent call, a step or a run.</summary>
public readonly record struct Usage
{
    /// <summary>Prompt tokens.</summary>
    [JsonPropertyName("input_tokens")]
    public long InputTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    [JsonPropertyName("output_tokens")]
    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens served from a provider cache.</summary>
    [JsonPropertyName("cached_tokens")]
    public long CachedTokens { get; init; }

    /// <summary>Cost in US dollars.</summary>
    [JsonPropertyName("cost_usd")]
    public decimal CostUsd { get; init; }

    /// <summary>Total tokens in and out.</summary>
    [JsonIgnore]
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>True when nothing was spent.</summary>
    [JsonIgnore]
    public bool IsEmpty => InputTokens == 0 && OutputTokens == 0 && CachedTokens == 0 && CostUsd == 0;

    /// <summary>Adds two usages.</summary>
    public static Usage operator +(Usage a, Usage b) => new()
    {
        InputTokens = a.InputTokens + b.InputTokens,
        OutputTokens = a.OutputTokens + b.OutputTokens,
        CachedTokens = a.CachedTokens + b.CachedTokens,
        CostUsd = a.CostUsd + b.CostUsd,
    };

    /// <summary>Adds two usages.</summary>
    public static Usage Add(Usage a, Usage b) => a + b;
}
