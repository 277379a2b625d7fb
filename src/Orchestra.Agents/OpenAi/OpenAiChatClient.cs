using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AI = Microsoft.Extensions.AI;
using Oai = OpenAI.Chat;

namespace Orchestra.Agents.OpenAi;

/// <summary>
/// <see cref="IChatClient"/> over the official OpenAI SDK's <see cref="Oai.ChatClient"/>: Chat Completions on any
/// OpenAI-compatible endpoint, with streaming, tool calls, structured output and usage.
/// </summary>
public sealed class OpenAiChatClient : IChatClient
{
    private readonly Oai.ChatClient _client;
    private readonly ChatClientMetadata _metadata;

    /// <summary>Wraps <paramref name="client"/>, which is bound to one model.</summary>
    public OpenAiChatClient(Oai.ChatClient client, string providerName, Uri endpoint, string model)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _metadata = new ChatClientMetadata(providerName, endpoint, model);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var completion = (await _client.CompleteChatAsync(ToOpenAi(messages), ToOpenAi(options), cancellationToken).ConfigureAwait(false)).Value;
        var message = new AI.ChatMessage(ChatRole.Assistant, []) { MessageId = completion.Id, RawRepresentation = completion };
        foreach (var part in completion.Content)
        {
            if (part.Text is { Length: > 0 } text)
                message.Contents.Add(new TextContent(text));
        }
        foreach (var call in completion.ToolCalls)
            message.Contents.Add(ParseCall(call.Id, call.FunctionName, call.FunctionArguments?.ToString()));
        return new ChatResponse(message)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = ToFinishReason(completion.FinishReason),
            Usage = ToUsage(completion.Usage),
            RawRepresentation = completion,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AI.ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Tool call arguments arrive in pieces keyed by index; they are handed on whole, once the choice finishes.
        SortedDictionary<int, PendingCall>? calls = null;
        string? responseId = null;
        string? model = null;
        await foreach (var u in _client.CompleteChatStreamingAsync(ToOpenAi(messages), ToOpenAi(options), cancellationToken).ConfigureAwait(false))
        {
            responseId ??= u.CompletionId;
            model ??= u.Model;
            var update = new ChatResponseUpdate(ChatRole.Assistant, (IList<AIContent>?)null)
            {
                ResponseId = u.CompletionId,
                MessageId = u.CompletionId,
                ModelId = u.Model,
                CreatedAt = u.CreatedAt,
                RawRepresentation = u,
            };
            foreach (var part in u.ContentUpdate)
            {
                if (part.Text is { Length: > 0 } text)
                    update.Contents.Add(new TextContent(text));
            }
            foreach (var tc in u.ToolCallUpdates)
            {
                calls ??= [];
                if (!calls.TryGetValue(tc.Index, out var pending))
                    calls[tc.Index] = pending = new PendingCall();
                pending.Id ??= tc.ToolCallId;
                pending.Name ??= tc.FunctionName;
                if (tc.FunctionArgumentsUpdate is { } args && !args.ToMemory().IsEmpty)
                    pending.Arguments.Append(args.ToString());
            }
            if (u.FinishReason is { } finish)
            {
                update.FinishReason = ToFinishReason(finish);
                Flush(calls, update);
            }
            if (u.Usage is { } usage)
                update.Contents.Add(new UsageContent(ToUsage(usage)!));
            if (update.Contents.Count > 0 || update.FinishReason is not null)
                yield return update;
        }
        if (calls is { Count: > 0 })
        {
            // A stream that ended without a finish reason still hands on the calls it announced.
            var last = new ChatResponseUpdate(ChatRole.Assistant, (IList<AIContent>?)null) { ResponseId = responseId, MessageId = responseId, ModelId = model };
            Flush(calls, last);
            yield return last;
        }
    }

    private static void Flush(SortedDictionary<int, PendingCall>? calls, ChatResponseUpdate update)
    {
        if (calls is null)
            return;
        foreach (var call in calls.Values)
            update.Contents.Add(ParseCall(call.Id ?? "", call.Name ?? "", call.Arguments.ToString()));
        calls.Clear();
    }

    private static FunctionCallContent ParseCall(string id, string name, string? json) =>
        FunctionCallContent.CreateFromParsedArguments(
            string.IsNullOrWhiteSpace(json) ? "{}" : json, id, name,
            static s => JsonSerializer.Deserialize<Dictionary<string, object?>>(s, AIJsonUtilities.DefaultOptions));

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(Oai.ChatClient) ? _client
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class PendingCall
    {
        public string? Id;
        public string? Name;
        public readonly StringBuilder Arguments = new();
    }

    // ---- conversions ----

    private static List<Oai.ChatMessage> ToOpenAi(IEnumerable<AI.ChatMessage> messages)
    {
        var list = new List<Oai.ChatMessage>();
        foreach (var m in messages)
        {
            if (m.Role == ChatRole.System)
            {
                list.Add(new SystemChatMessage(m.Text));
            }
            else if (m.Role == ChatRole.User)
            {
                list.Add(new UserChatMessage(m.Text));
            }
            else if (m.Role == ChatRole.Assistant)
            {
                var calls = m.Contents.OfType<FunctionCallContent>()
                    .Select(c => ChatToolCall.CreateFunctionToolCall(c.CallId, c.Name, BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(c.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions))))
                    .ToList();
                if (calls.Count == 0)
                {
                    list.Add(new AssistantChatMessage(m.Text));
                    continue;
                }
                var assistant = new AssistantChatMessage(calls);
                if (m.Text is { Length: > 0 } text)
                    assistant.Content.Add(ChatMessageContentPart.CreateTextPart(text));
                list.Add(assistant);
            }
            else if (m.Role == ChatRole.Tool)
            {
                foreach (var r in m.Contents.OfType<FunctionResultContent>())
                    list.Add(new ToolChatMessage(r.CallId, ResultText(r.Result)));
            }
        }
        return list;
    }

    /// <summary>A tool result as the text the model reads.</summary>
    internal static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };

    private static ChatCompletionOptions? ToOpenAi(ChatOptions? options)
    {
        if (options is null)
            return null;
        var result = new ChatCompletionOptions
        {
            MaxOutputTokenCount = options.MaxOutputTokens,
            Temperature = options.Temperature,
            TopP = options.TopP,
        };
#pragma warning disable OPENAI001 // Seed is marked experimental by the SDK; providers that ignore it are unaffected.
        result.Seed = options.Seed;
#pragma warning restore OPENAI001
        foreach (var stop in options.StopSequences ?? [])
            result.StopSequences.Add(stop);
        foreach (var tool in options.Tools ?? [])
        {
            if (tool is AIFunctionDeclaration f)
                result.Tools.Add(ChatTool.CreateFunctionTool(f.Name, f.Description, BinaryData.FromString(f.JsonSchema.GetRawText())));
        }
        result.ResponseFormat = options.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } json => Oai.ChatResponseFormat.CreateJsonSchemaFormat(
                json.SchemaName ?? "output", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription),
            ChatResponseFormatJson => Oai.ChatResponseFormat.CreateJsonObjectFormat(),
            _ => null,
        };
        return result;
    }

    private static AI.ChatFinishReason? ToFinishReason(Oai.ChatFinishReason reason) => reason switch
    {
        Oai.ChatFinishReason.Stop => AI.ChatFinishReason.Stop,
        Oai.ChatFinishReason.Length => AI.ChatFinishReason.Length,
        Oai.ChatFinishReason.ToolCalls or Oai.ChatFinishReason.FunctionCall => AI.ChatFinishReason.ToolCalls,
        Oai.ChatFinishReason.ContentFilter => AI.ChatFinishReason.ContentFilter,
        _ => null,
    };

    private static UsageDetails? ToUsage(ChatTokenUsage? usage) => usage is null ? null : new UsageDetails
    {
        InputTokenCount = usage.InputTokenCount,
        OutputTokenCount = usage.OutputTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
        CachedInputTokenCount = usage.InputTokenDetails?.CachedTokenCount,
    };
}
