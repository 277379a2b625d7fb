using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Orchestra.FakeProvider;

/// <summary>Whether a request carried a key, and the little of it that may be shown.</summary>
internal readonly record struct ApiKeyView(bool Present, string? Last4);

/// <summary>Reads, checks and redacts the credentials of a request.</summary>
internal static class ApiKeys
{
    private const string Redacted = "[redacted]";

    // Headers whose values are credentials in some provider's protocol; never recorded.
    private static readonly HashSet<string> SecretHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "x-api-key", "api-key", "proxy-authorization", "cookie", "x-goog-api-key",
    };

    /// <summary>The bearer token, if any.</summary>
    public static string? Bearer(HttpRequest request)
    {
        var value = request.Headers.Authorization.ToString();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Anthropic's <c>x-api-key</c>, if any.</summary>
    public static string? XApiKey(HttpRequest request) =>
        request.Headers.TryGetValue("x-api-key", out var value) && value.Count > 0 ? value.ToString() : null;

    /// <summary>The key the request presents: <c>x-api-key</c> first, then the bearer token.</summary>
    public static string? Presented(HttpRequest request) => XApiKey(request) ?? Bearer(request);

    public static ApiKeyView View(string? key) =>
        string.IsNullOrEmpty(key) ? new(false, null) : new(true, key.Length >= 16 ? key[^4..] : null);

    /// <summary>True when <paramref name="presented"/> equals <paramref name="required"/>, compared in constant time.</summary>
    public static bool Matches(string? presented, string required) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(required));

    /// <summary>The headers with credential values replaced.</summary>
    public static IReadOnlyDictionary<string, string> RedactedHeaders(IHeaderDictionary headers)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
            copy[name] = SecretHeaders.Contains(name) ? Redacted : value.ToString();
        return copy;
    }
}
