using System.Text.Json;

namespace Orchestra.FakeProvider;

/// <summary>
/// One request the fake server received, for assertions and for <see cref="FakeReply.Match"/>. Credentials are
/// never kept: authentication headers are redacted and only <see cref="HasApiKey"/> and <see cref="ApiKeyLast4"/> remain.
/// </summary>
public sealed class RecordedRequest
{
    internal RecordedRequest(ProviderProtocol protocol, string method, string path, string query,
        IReadOnlyDictionary<string, string> headers, ApiKeyView key, string body, JsonElement? json, RequestFacts facts, DateTimeOffset receivedAt)
    {
        Protocol = protocol;
        Method = method;
        Path = path;
        QueryString = query;
        Headers = headers;
        HasApiKey = key.Present;
        ApiKeyLast4 = key.Last4;
        Body = body;
        Json = json;
        ReceivedAt = receivedAt;
        Model = facts.Model;
        IsStreaming = facts.Stream;
        LastUserText = facts.LastUserText;
        SystemPrompt = facts.SystemPrompt;
        ToolNames = facts.ToolNames;
        LastToolResultText = facts.LastToolResultText;
        MessageCount = facts.MessageCount;
    }

    /// <summary>The endpoint the request was addressed to.</summary>
    public ProviderProtocol Protocol { get; }

    /// <summary>The HTTP method, for example <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>The path without the query, for example <c>/v1/messages</c>.</summary>
    public string Path { get; }

    /// <summary>The query string with its leading <c>?</c>, or empty (Claude Code sends <c>?beta=true</c>).</summary>
    public string QueryString { get; }

    /// <summary>The request headers (names are case-insensitive); the values of authentication headers read <c>[redacted]</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>True when the request carried an API key (<c>Authorization: Bearer</c> or <c>x-api-key</c>).</summary>
    public bool HasApiKey { get; }

    /// <summary>The key's last four characters when the key is at least 16 characters long, else null.</summary>
    public string? ApiKeyLast4 { get; }

    /// <summary>The body as received (UTF-8 text).</summary>
    public string Body { get; }

    /// <summary>The body parsed as JSON, or null when it is empty or not JSON.</summary>
    public JsonElement? Json { get; }

    /// <summary>When the server received it, by the server's <see cref="FakeProviderOptions.TimeProvider"/>.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The <c>model</c> field, or null.</summary>
    public string? Model { get; }

    /// <summary>True when the body asked for a streamed reply (<c>"stream": true</c>).</summary>
    public bool IsStreaming { get; }

    /// <summary>
    /// The text of the most recent user message that has text (tool results are not user text), parts joined by
    /// newlines; empty when there is none.
    /// </summary>
    public string LastUserText { get; }

    /// <summary>The system prompt: Anthropic's <c>system</c>, the Responses <c>instructions</c> and any system or developer messages; null when none.</summary>
    public string? SystemPrompt { get; }

    /// <summary>The names of the tools offered (for tools without a name, such as Responses built-ins, their type).</summary>
    public IReadOnlyList<string> ToolNames { get; }

    /// <summary>When the conversation ends with tool results, their text joined by newlines; else null.</summary>
    public string? LastToolResultText { get; }

    /// <summary>How many messages (or Responses input items) the conversation has.</summary>
    public int MessageCount { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Path}{QueryString} ({Protocol}, model {Model ?? "none"}, stream {IsStreaming})";
}

/// <summary>What a protocol reads out of a request body.</summary>
internal sealed record RequestFacts(
    string? Model,
    bool Stream,
    string LastUserText,
    string? SystemPrompt,
    IReadOnlyList<string> ToolNames,
    string? LastToolResultText,
    int MessageCount)
{
    public static readonly RequestFacts None = new(null, false, "", null, [], null, 0);
}
