using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>The provider profiles known to a workspace: the built-in ones, then the user's, then the project's.</summary>
public sealed class ProviderCatalog
{
    private readonly Dictionary<string, ProviderProfile> _profiles;

    /// <summary>Creates a catalog over <paramref name="profiles"/>; later profiles replace earlier ones of the same name.</summary>
    public ProviderCatalog(IEnumerable<ProviderProfile> profiles)
    {
        _profiles = new Dictionary<string, ProviderProfile>(StringComparer.Ordinal);
        foreach (var p in profiles)
            _profiles[p.Name] = p;
    }

    /// <summary>The catalog of built-in profiles only.</summary>
    public static ProviderCatalog BuiltIn { get; } = new(BuiltInProfiles.All);

    /// <summary>All profiles, by name.</summary>
    public IReadOnlyList<ProviderProfile> All => _profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    /// <summary>The profile named <paramref name="name"/>, or null.</summary>
    public ProviderProfile? Find(string name) => _profiles.GetValueOrDefault(name);

    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="OrchestraException">No such profile; the message lists the known ones.</exception>
    public ProviderProfile Get(string name) =>
        Find(name) ?? throw new OrchestraException(
            $"unknown provider '{name}'. Known providers: {string.Join(", ", _profiles.Keys.Order(StringComparer.Ordinal))}; add one under 'providers:' in ~/.config/orchestra/providers.yaml or .orchestra/providers.yaml.",
            ErrorKind.NotFound);

    /// <summary>The default profile of a protocol: <c>openai</c> or <c>anthropic</c>.</summary>
    public ProviderProfile DefaultFor(ProviderProtocol protocol) => Get(protocol == ProviderProtocol.Anthropic ? "anthropic" : "openai");
}

/// <summary>The profiles Orchestra knows without any configuration.</summary>
public static class BuiltInProfiles
{
    private static Dictionary<string, string> Aliases(string smart, string worker, string cheap) =>
        new(StringComparer.Ordinal) { ["smart"] = smart, ["worker"] = worker, ["cheap"] = cheap };

    /// <summary>OpenAI's API.</summary>
    public static ProviderProfile OpenAi { get; } = new()
    {
        Name = "openai",
        Protocol = ProviderProtocol.OpenAi,
        BaseUrl = new Uri("https://api.openai.com/v1/"),
        ApiKeyEnv = "OPENAI_API_KEY",
        Models = Aliases("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"),
        DefaultModel = "gpt-4.1-mini",
        Description = "OpenAI Chat Completions",
    };

    /// <summary>OpenRouter: many vendors' models behind one OpenAI-compatible endpoint.</summary>
    public static ProviderProfile OpenRouter { get; } = new()
    {
        Name = "openrouter",
        Protocol = ProviderProtocol.OpenAi,
        BaseUrl = new Uri("https://openrouter.ai/api/v1/"),
        ApiKeyEnv = "OPENROUTER_API_KEY",
        Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Title"] = "Orchestra" },
        Models = Aliases("anthropic/claude-sonnet-4.5", "openai/gpt-4.1-mini", "meta-llama/llama-3.1-8b-instruct"),
        DefaultModel = "openai/gpt-4.1-mini",
        Description = "OpenRouter (OpenAI-compatible, many vendors)",
    };

    /// <summary>Google Gemini through its OpenAI-compatible endpoint.</summary>
    public static ProviderProfile Gemini { get; } = new()
    {
        Name = "gemini",
        Protocol = ProviderProtocol.OpenAi,
        BaseUrl = new Uri("https://generativelanguage.googleapis.com/v1beta/openai/"),
        ApiKeyEnv = "GEMINI_API_KEY",
        Models = Aliases("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"),
        DefaultModel = "gemini-2.5-flash",
        Description = "Google Gemini (OpenAI-compatible endpoint)",
    };

    /// <summary>A model server on this machine: Ollama, llama.cpp or vLLM. No key; models come from <c>GET /v1/models</c>.</summary>
    public static ProviderProfile Local { get; } = new()
    {
        Name = "local",
        Protocol = ProviderProtocol.OpenAi,
        BaseUrl = new Uri("http://127.0.0.1:11434/v1/"),
        ApiKeyEnv = null,
        RequiresKey = false,
        Description = "a local OpenAI-compatible server (Ollama, llama.cpp, vLLM)",
    };

    /// <summary>Anthropic's Messages API.</summary>
    public static ProviderProfile Anthropic { get; } = new()
    {
        Name = "anthropic",
        Protocol = ProviderProtocol.Anthropic,
        BaseUrl = new Uri("https://api.anthropic.com/"),
        ApiKeyEnv = "ANTHROPIC_API_KEY",
        Models = Aliases("claude-sonnet-4-5", "claude-haiku-4-5", "claude-3-5-haiku-latest"),
        DefaultModel = "claude-sonnet-4-5",
        Description = "Anthropic Messages",
    };

    /// <summary>Every built-in profile.</summary>
    public static IReadOnlyList<ProviderProfile> All { get; } = [OpenAi, OpenRouter, Gemini, Local, Anthropic];
}
