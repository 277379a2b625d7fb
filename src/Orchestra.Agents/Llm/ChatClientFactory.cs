using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using OpenAI;
using Orchestra.Agents.OpenAi;

namespace Orchestra.Agents.Llm;

/// <summary>Everything needed to talk to one model: the profile, the resolved model name and the key.</summary>
/// <param name="Profile">The endpoint.</param>
/// <param name="Model">The model name, aliases resolved.</param>
/// <param name="Key">The key, or null for endpoints that take none.</param>
public sealed record ChatTarget(ProviderProfile Profile, string Model, ApiKey? Key);

/// <summary>Builds the SDK clients behind <see cref="IChatClient"/>: the OpenAI SDK for <c>openai</c>, the Anthropic SDK for <c>anthropic</c>.</summary>
public static class ChatClientFactory
{
    /// <summary>How long one request may take before it counts as a transient failure.</summary>
    public static TimeSpan DefaultRequestTimeout { get; } = TimeSpan.FromMinutes(10);

    /// <summary>The Anthropic API requires a maximum; this one is used when an agent sets none.</summary>
    public const int DefaultAnthropicMaxTokens = 4096;

    /// <summary>Creates the raw SDK-backed client for <paramref name="target"/>, with SDK retries off (Orchestra retries itself).</summary>
    public static IChatClient Create(ChatTarget target, TimeSpan? requestTimeout = null, int? maxOutputTokens = null)
    {
        var timeout = requestTimeout ?? DefaultRequestTimeout;
        return target.Profile.Protocol switch
        {
            ProviderProtocol.Anthropic => CreateAnthropic(target, timeout, maxOutputTokens),
            _ => CreateOpenAi(target, timeout),
        };
    }

    private static OpenAiChatClient CreateOpenAi(ChatTarget target, TimeSpan timeout)
    {
        var options = OpenAiOptions(target.Profile, timeout);
        // Keyless local servers still get a bearer token: the SDK requires one and they ignore it.
        var client = new OpenAI.Chat.ChatClient(target.Model, new ApiKeyCredential(target.Key?.Value ?? "none"), options);
        return new OpenAiChatClient(client, target.Profile.Name, target.Profile.BaseUrl, target.Model);
    }

    /// <summary>The OpenAI SDK options for a profile: its endpoint and headers, the shared HTTP client, no SDK retries.</summary>
    public static OpenAIClientOptions OpenAiOptions(ProviderProfile profile, TimeSpan timeout)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = profile.BaseUrl,
            Transport = new HttpClientPipelineTransport(ProviderHttp.Client),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
            UserAgentApplicationId = "orchestra",
        };
        if (profile.Headers.Count > 0)
            options.AddPolicy(new HeadersPolicy(profile.Headers), PipelinePosition.PerCall);
        return options;
    }

    private static IChatClient CreateAnthropic(ChatTarget target, TimeSpan timeout, int? maxOutputTokens)
    {
        var client = AnthropicClientFor(target.Profile, target.Key, timeout);
        return client.AsIChatClient(target.Model, maxOutputTokens ?? DefaultAnthropicMaxTokens);
    }

    /// <summary>The Anthropic SDK client for a profile: its base URL and headers, the shared HTTP client, no SDK retries.</summary>
    public static AnthropicClient AnthropicClientFor(ProviderProfile profile, ApiKey? key, TimeSpan timeout) => new(new Anthropic.Core.ClientOptions
    {
        ApiKey = key?.Value ?? "none",
        BaseUrl = profile.BaseUrl.ToString().TrimEnd('/'),
        MaxRetries = 0,
        Timeout = timeout,
        HttpClient = ProviderHttp.Client,
        ExtraHeaders = profile.Headers,
    });

    private sealed class HeadersPolicy(IReadOnlyDictionary<string, string> headers) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Apply(message);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Apply(message);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }

        private void Apply(PipelineMessage message)
        {
            foreach (var (name, value) in headers)
                message.Request.Headers.Set(name, value);
        }
    }
}
