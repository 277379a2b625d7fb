using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>Whether provider calls are recorded to a cassette, replayed from one, or neither.</summary>
public enum CassetteMode
{
    /// <summary>Calls go to the provider.</summary>
    Off,
    /// <summary>Calls go to the provider and every exchange is appended to the cassette.</summary>
    Record,
    /// <summary>Calls are answered from the cassette; nothing reaches the network and no key is needed.</summary>
    Replay,
}

/// <summary>
/// A file of recorded provider exchanges, one JSON object per line: the digest of the request, a short summary of
/// it for people, the streamed response (text pieces and tool calls), the finish reason and the usage. Requests are
/// matched by digest, in recorded order among equal digests, so concurrent steps replay correctly. A cassette never
/// holds keys or headers.
/// </summary>
public sealed class Cassette
{
    private const int FormatVersion = 1;

    // Readable quotes and non-ASCII text: a cassette is a file people read and diff.
    private static readonly JsonSerializerOptions FileJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly object _gate = new();
    private readonly List<Exchange> _exchanges = [];
    private readonly HashSet<int> _used = [];

    private Cassette(string path, CassetteMode mode)
    {
        Path = System.IO.Path.GetFullPath(path);
        Mode = mode;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Record or replay.</summary>
    public CassetteMode Mode { get; }

    /// <summary>Exchanges read (replay) or written (record) so far.</summary>
    public int Count
    {
        get { lock (_gate) return _exchanges.Count; }
    }

    /// <summary>Exchanges replayed so far.</summary>
    public int Replayed
    {
        get { lock (_gate) return _used.Count; }
    }

    /// <summary>Starts recording into <paramref name="path"/>, replacing what it held.</summary>
    public static Cassette StartRecording(string path)
    {
        var cassette = new Cassette(path, CassetteMode.Record);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(cassette.Path)!);
            File.WriteAllText(cassette.Path, "");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OrchestraException($"cannot record to {cassette.Path}: {ex.Message}", ErrorKind.Environment);
        }
        return cassette;
    }

    /// <summary>Opens <paramref name="path"/> for replay.</summary>
    /// <exception cref="OrchestraException">The file is missing or not a cassette; the message names the line.</exception>
    public static Cassette OpenForReplay(string path)
    {
        var cassette = new Cassette(path, CassetteMode.Replay);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(cassette.Path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new OrchestraException($"cassette {cassette.Path} does not exist: record one with --record {path}", ErrorKind.NotFound);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OrchestraException($"cannot read cassette {cassette.Path}: {ex.Message}", ErrorKind.Environment);
        }
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            try
            {
                cassette._exchanges.Add(Exchange.FromJson(JsonNode.Parse(lines[i]) as JsonObject ?? throw new JsonException("not an object")));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw new OrchestraException($"cassette {cassette.Path}, line {i + 1}: not a recorded exchange ({ex.Message}); record it again with --record", ErrorKind.Usage);
            }
        }
        return cassette;
    }

    /// <summary>Wraps <paramref name="inner"/> to record its exchanges, or replaces it to replay them.</summary>
    public IChatClient Wrap(IChatClient? inner, ChatTarget target) => Mode switch
    {
        CassetteMode.Record => new RecordingClient(this, inner ?? throw new ArgumentNullException(nameof(inner)), target),
        CassetteMode.Replay => new ReplayClient(this, target),
        _ => inner ?? throw new ArgumentNullException(nameof(inner)),
    };

    /// <summary>The digest that identifies a request: model, messages, tools and options; never ids, keys or headers.</summary>
    public static string Digest(string model, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var doc = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode?)Canonical(m)).ToArray()),
        };
        if (options is not null)
        {
            if (options.Tools is { Count: > 0 } tools)
                doc["tools"] = new JsonArray(tools.Select(t => (JsonNode?)(t is AIFunctionDeclaration f ? $"{f.Name}:{f.JsonSchema.GetRawText()}" : t.Name)).ToArray());
            if (options.ResponseFormat is ChatResponseFormatJson json)
                doc["format"] = json.Schema?.GetRawText() ?? "json";
            if (options.MaxOutputTokens is { } max) doc["max_tokens"] = max;
            if (options.Temperature is { } temp) doc["temperature"] = temp;
            if (options.Seed is { } seed) doc["seed"] = seed;
        }
        var bytes = Encoding.UTF8.GetBytes(doc.ToJsonString());
        return Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
    }

    private static JsonObject Canonical(ChatMessage m)
    {
        var o = new JsonObject { ["role"] = m.Role.Value };
        var parts = new JsonArray();
        foreach (var c in m.Contents)
        {
            switch (c)
            {
                case TextContent t when t.Text.Length > 0:
                    parts.Add(t.Text);
                    break;
                case FunctionCallContent call:
                    parts.Add(new JsonObject { ["call"] = call.Name, ["args"] = JsonSerializer.SerializeToNode(call.Arguments, AIJsonUtilities.DefaultOptions) });
                    break;
                case FunctionResultContent result:
                    parts.Add(new JsonObject { ["result"] = OpenAi.OpenAiChatClient.ResultText(result.Result) });
                    break;
            }
        }
        o["parts"] = parts;
        return o;
    }

    private static string Summary(IEnumerable<ChatMessage> messages)
    {
        var last = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        last = Secrets.Redact(last.ReplaceLineEndings(" "));
        return last.Length > 120 ? last[..120] + "..." : last;
    }

    private void Append(Exchange exchange)
    {
        var line = exchange.ToJson().ToJsonString(FileJson) + "\n";
        lock (_gate)
        {
            _exchanges.Add(exchange);
            File.AppendAllText(Path, line);
        }
    }

    private Exchange Take(string digest, string model, IEnumerable<ChatMessage> messages)
    {
        lock (_gate)
        {
            for (var i = 0; i < _exchanges.Count; i++)
            {
                if (!_used.Contains(i) && _exchanges[i].Digest == digest)
                {
                    _used.Add(i);
                    return _exchanges[i];
                }
            }
            var recorded = _exchanges.Count(e => e.Digest == digest);
            var why = recorded > 0
                ? $"all {recorded} recorded exchange(s) for it were already replayed"
                : "no recorded exchange has the same model, messages, tools and options";
            throw new OrchestraException(
                $"request to {model} (\"{Summary(messages)}\") does not match cassette {Path}: {why}; record it again with --record",
                ErrorKind.Usage);
        }
    }

    /// <summary>One recorded call.</summary>
    private sealed record Exchange(string Digest, string Provider, string Model, string Request, List<JsonObject> Updates, string? Finish, JsonObject? Usage)
    {
        public JsonObject ToJson()
        {
            var o = new JsonObject
            {
                ["v"] = FormatVersion,
                ["digest"] = Digest,
                ["provider"] = Provider,
                ["model"] = Model,
                ["request"] = Request,
                ["updates"] = new JsonArray(Updates.Select(u => (JsonNode?)u.DeepClone()).ToArray()),
            };
            if (Finish is not null) o["finish"] = Finish;
            if (Usage is not null) o["usage"] = Usage.DeepClone();
            return o;
        }

        public static Exchange FromJson(JsonObject o)
        {
            if (o["v"]?.GetValue<int>() != FormatVersion)
                throw new FormatException($"format version {o["v"]?.ToJsonString() ?? "missing"} is not {FormatVersion}");
            return new Exchange(
                o["digest"]!.GetValue<string>(),
                o["provider"]?.GetValue<string>() ?? "",
                o["model"]?.GetValue<string>() ?? "",
                o["request"]?.GetValue<string>() ?? "",
                (o["updates"] as JsonArray ?? throw new FormatException("'updates' is missing")).Select(u => (JsonObject)u!).ToList(),
                o["finish"]?.GetValue<string>(),
                o["usage"] as JsonObject);
        }

        public IEnumerable<ChatResponseUpdate> Replay()
        {
            var id = "replay-" + Digest[..12];
            foreach (var u in Updates)
            {
                var update = new ChatResponseUpdate(ChatRole.Assistant, (IList<AIContent>?)null) { ModelId = Model, ResponseId = id, MessageId = id };
                if (u["text"]?.GetValue<string>() is { } text)
                    update.Contents.Add(new TextContent(text));
                if (u["call"] is JsonObject call)
                {
                    var args = call["arguments"]?.Deserialize<Dictionary<string, object?>>(AIJsonUtilities.DefaultOptions);
                    update.Contents.Add(new FunctionCallContent(call["id"]?.GetValue<string>() ?? "", call["name"]!.GetValue<string>(), args));
                }
                yield return update;
            }
            var last = new ChatResponseUpdate(ChatRole.Assistant, (IList<AIContent>?)null)
            {
                ModelId = Model,
                ResponseId = id,
                MessageId = id,
                FinishReason = Finish is null ? null : new ChatFinishReason(Finish),
            };
            if (Usage is not null)
            {
                last.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = Usage["input"]?.GetValue<long>(),
                    OutputTokenCount = Usage["output"]?.GetValue<long>(),
                    CachedInputTokenCount = Usage["cached"]?.GetValue<long>(),
                }));
            }
            yield return last;
        }
    }

    private static JsonObject? UsageJson(UsageDetails? usage) => usage is null ? null : new JsonObject
    {
        ["input"] = usage.InputTokenCount ?? 0,
        ["output"] = usage.OutputTokenCount ?? 0,
        ["cached"] = usage.CachedInputTokenCount ?? 0,
    };

    private static List<JsonObject> UpdatesJson(IEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<JsonObject>();
        foreach (var u in updates)
        {
            foreach (var c in u.Contents)
            {
                switch (c)
                {
                    case TextContent t when t.Text.Length > 0:
                        list.Add(new JsonObject { ["text"] = t.Text });
                        break;
                    case FunctionCallContent call:
                        list.Add(new JsonObject
                        {
                            ["call"] = new JsonObject
                            {
                                ["id"] = call.CallId,
                                ["name"] = call.Name,
                                ["arguments"] = JsonSerializer.SerializeToNode(call.Arguments, AIJsonUtilities.DefaultOptions),
                            },
                        });
                        break;
                }
            }
        }
        return list;
    }

    private sealed class RecordingClient(Cassette cassette, IChatClient inner, ChatTarget target) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages as IList<ChatMessage> ?? messages.ToList();
            var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            cassette.Append(new Exchange(Digest(target.Model, list, options), target.Profile.Name, target.Model, Summary(list),
                UpdatesJson(response.ToChatResponseUpdates()), response.FinishReason?.Value, UsageJson(response.Usage)));
            return response;
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var list = messages as IList<ChatMessage> ?? messages.ToList();
            var seen = new List<ChatResponseUpdate>();
            await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            {
                seen.Add(update);
                yield return update;
            }
            // Only whole exchanges are kept: a stream that failed part-way throws above and records nothing.
            var response = seen.ToChatResponse();
            cassette.Append(new Exchange(Digest(target.Model, list, options), target.Profile.Name, target.Model, Summary(list),
                UpdatesJson(seen), response.FinishReason?.Value, UsageJson(response.Usage)));
        }
    }

    private sealed class ReplayClient(Cassette cassette, ChatTarget target) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var list = messages as IList<ChatMessage> ?? messages.ToList();
            var exchange = cassette.Take(Digest(target.Model, list, options), target.Model, list);
            foreach (var update in exchange.Replay())
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return update;
            }
            await Task.CompletedTask.ConfigureAwait(false);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
