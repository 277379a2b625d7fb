namespace Orchestra.FakeProvider;

/// <summary>Which endpoint of which provider protocol a request was addressed to.</summary>
public enum ProviderProtocol
{
    /// <summary>A path the fake server does not serve; it answered 404.</summary>
    Unknown,

    /// <summary>OpenAI Chat Completions: <c>POST /v1/chat/completions</c>.</summary>
    OpenAiChatCompletions,

    /// <summary>OpenAI Responses: <c>POST /v1/responses</c> (what Codex CLI uses).</summary>
    OpenAiResponses,

    /// <summary>OpenAI model list or model lookup: <c>GET /v1/models[/{id}]</c> without an <c>anthropic-version</c> header.</summary>
    OpenAiModels,

    /// <summary>Anthropic Messages: <c>POST /v1/messages</c> (what Claude Code uses).</summary>
    AnthropicMessages,

    /// <summary>Anthropic token counting: <c>POST /v1/messages/count_tokens</c>.</summary>
    AnthropicCountTokens,

    /// <summary>Anthropic model list or model lookup: <c>GET /v1/models[/{id}]</c> with an <c>anthropic-version</c> header.</summary>
    AnthropicModels,
}
