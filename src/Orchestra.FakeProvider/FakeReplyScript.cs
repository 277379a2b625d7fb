using System.Text.Json;
using Orchestra.Core;

namespace Orchestra.FakeProvider;

/// <summary>
/// Replies for a fake server read from a JSON file, so it can be scripted outside tests
/// (<c>orchestra dev fake-provider --script FILE</c>). The format is described in <c>docs/fake-provider.md</c>:
/// <code>
/// { "models": ["fake-model"], "default": { "text": "ok" },
///   "replies": [ { "match": { "lastUserContains": "weather" }, "toolCalls": [ { "name": "get_weather", "arguments": { "city": "Paris" } } ] },
///                { "status": 429, "retryAfter": "2s", "repeat": 2 } ] }
/// </code>
/// </summary>
public sealed record FakeReplyScript
{
    /// <summary>The queued replies, in order.</summary>
    public IReadOnlyList<FakeReply> Replies { get; init; } = [];

    /// <summary>The reply for requests no queued reply matches; null keeps the server's echo.</summary>
    public FakeReply? Default { get; init; }

    /// <summary>The models to list; null keeps the server's.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Reads a script file.</summary>
    /// <exception cref="OrchestraException">The file is missing or unreadable, or not a valid script; the message names the field.</exception>
    public static FakeReplyScript Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new OrchestraException($"Fake provider script '{path}' does not exist: check the path.", ErrorKind.NotFound, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OrchestraException($"Fake provider script '{path}' cannot be read ({ex.Message}): check its permissions.", ErrorKind.Environment, ex);
        }
        return Parse(text, path);
    }

    /// <summary>Reads a script from JSON text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="OrchestraException">The text is not a valid script; the message names the field.</exception>
    public static FakeReplyScript Parse(string json, string source = "script")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new OrchestraException($"Fake provider script '{source}' is not valid JSON: {ex.Message.ReplaceLineEndings(" ")}", ErrorKind.Usage, ex);
        }
        using (document)
            return new ScriptReader(source).ReadScript(document.RootElement);
    }

    /// <summary><paramref name="options"/> with this script's replies queued first, its default reply and its models.</summary>
    public FakeProviderOptions ApplyTo(FakeProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fallback = Default;
        return options with
        {
            Replies = [.. Replies, .. options.Replies],
            DefaultReply = fallback is null ? options.DefaultReply : _ => fallback,
            Models = Models ?? options.Models,
        };
    }
}
