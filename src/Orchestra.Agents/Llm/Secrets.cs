using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Orchestra.Agents.Llm;

/// <summary>
/// Removes API keys from text before it reaches a message, an event, a checkpoint or a cassette: every key this
/// process has loaded, and anything shaped like a provider key.
/// </summary>
public static partial class Secrets
{
    private static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);

    /// <summary>Registers a secret so that <see cref="Redact"/> hides it wherever it appears.</summary>
    public static void Register(string? secret)
    {
        // Very short values would hide ordinary words.
        if (secret is { Length: >= 8 })
            Known.TryAdd(secret, 0);
    }

    /// <summary><paramref name="text"/> with every known secret and key-shaped token replaced by <c>[redacted]</c>.</summary>
    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
            return text;
        foreach (var secret in Known.Keys)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
                text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }
        return KeyShaped().Replace(text, "[redacted]");
    }

    // sk-..., sk-ant-..., sk-or-v1-..., Google's AIza... keys, bearer tokens.
    [GeneratedRegex(@"\b(sk-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,})|(?<=Bearer )[A-Za-z0-9_\-\.]{12,}", RegexOptions.CultureInvariant)]
    private static partial Regex KeyShaped();
}
