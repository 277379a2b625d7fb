namespace Orchestra.FakeProvider;

/// <summary>Token counts a reply reports, in each protocol's own usage fields.</summary>
/// <param name="InputTokens">Prompt tokens (<c>prompt_tokens</c> / <c>input_tokens</c>), including the cached ones for OpenAI.</param>
/// <param name="OutputTokens">Generated tokens (<c>completion_tokens</c> / <c>output_tokens</c>).</param>
/// <param name="CachedTokens">Prompt tokens served from the cache (<c>prompt_tokens_details.cached_tokens</c>,
/// <c>input_tokens_details.cached_tokens</c>, Anthropic's <c>cache_read_input_tokens</c>).</param>
public sealed record FakeUsage(int InputTokens, int OutputTokens, int CachedTokens = 0);
