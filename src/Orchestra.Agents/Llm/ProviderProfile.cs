namespace Orchestra.Agents.Llm;

/// <summary>The wire protocol a provider speaks.</summary>
public enum ProviderProtocol
{
    /// <summary>OpenAI Chat Completions, spoken by OpenAI, OpenRouter, Gemini's compatible endpoint, Ollama, llama.cpp and vLLM.</summary>
    OpenAi,
    /// <summary>Anthropic Messages.</summary>
    Anthropic,
}

/// <summary>
/// A named endpoint with its protocol, credentials variable, extra headers and model aliases. Built-in profiles
/// (<c>openai</c>, <c>openrouter</c>, <c>gemini</c>, <c>local</c>, <c>anthropic</c>) can be changed and new ones
/// added in <c>providers.yaml</c>.
/// </summary>
public sealed record ProviderProfile
{
    /// <summary>The profile name, for example <c>openrouter</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The wire protocol.</summary>
    public required ProviderProtocol Protocol { get; init; }

    /// <summary>The API base, for example <c>https://api.openai.com/v1</c>.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The environment variable holding the key, or null when the profile reads none.</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>False for endpoints that take no key (local servers).</summary>
    public bool RequiresKey { get; init; } = true;

    /// <summary>Headers sent with every request (OpenRouter's attribution headers, for example). Never secrets.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Model aliases (<c>smart</c>, <c>worker</c>, <c>cheap</c>, ...) to model names.</summary>
    public IReadOnlyDictionary<string, string> Models { get; init; } = new Dictionary<string, string>();

    /// <summary>The model used when an agent names none, or null to ask for one.</summary>
    public string? DefaultModel { get; init; }

    /// <summary>One line for <c>provider list</c>.</summary>
    public string Description { get; init; } = "";

    /// <summary>The kind name agents use for this protocol: <c>openai</c> or <c>anthropic</c>.</summary>
    public string Kind => Protocol == ProviderProtocol.Anthropic ? "anthropic" : "openai";
}
