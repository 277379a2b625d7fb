using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orchestra.Core;
using Orchestra.Core.Agents;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Llm;

/// <summary>
/// An LLM API agent (kinds <c>openai</c> and <c>anthropic</c>): one step is one conversation turn, with streamed
/// tokens, a bounded tool-calling loop, optional structured output checked against a JSON Schema, a persistent
/// session, and usage and cost. Everything provider-specific sits below <see cref="IChatClient"/>.
/// </summary>
public sealed class ChatAgent : Agent
{
    /// <summary>Longest text of a tool's arguments or result kept in an event.</summary>
    private const int EventTextLimit = 2000;

    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);
    private readonly OutputSchema? _schema;

    /// <summary>Creates the agent; checks what can be checked without a network (provider, base URL, schema).</summary>
    /// <exception cref="OrchestraException">An unknown provider, a base URL that is not a URL, a schema that is not JSON Schema.</exception>
    public ChatAgent(string name, ProviderProtocol protocol, ChatAgentOptions options, ChatAgentServices? services = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        Protocol = protocol;
        Options = options;
        Services = services ?? new ChatAgentServices();
        MaxConcurrency = options.MaxConcurrency;
        if (options.MaxToolIterations < 1)
            throw new OrchestraException($"agent '{name}': max_tool_iterations must be at least 1.");
        if (options.SchemaRetries < 0)
            throw new OrchestraException($"agent '{name}': schema_retries must not be negative.");
        if (options.OutputSchema is not null)
            _schema = OutputSchema.Parse(options.OutputSchema);
        _ = Profile(null);
    }

    /// <summary>The kind's protocol, used when the agent names no provider.</summary>
    public ProviderProtocol Protocol { get; }

    /// <summary>The definition.</summary>
    public ChatAgentOptions Options { get; }

    /// <summary>Shared services.</summary>
    public ChatAgentServices Services { get; }

    /// <summary>
    /// Resolves the provider, model and key a step would use, with the step's <c>provider</c>/<c>model</c> overrides.
    /// </summary>
    /// <exception cref="OrchestraException">Unknown provider, no model, or a missing key; one line that says what to set.</exception>
    public ChatTarget ResolveTarget(JsonObject? input = null)
    {
        var profile = Profile(Text(input, "provider"));
        var requested = Text(input, "model") ?? Options.Model;
        var model = ModelAliases.Resolve(requested, profile, Options.Models, Services.Models)
            ?? throw new OrchestraException($"agent '{Name}' names no model and provider '{profile.Name}' has no default: add 'model:' to .orchestra/agents/{Name}.yaml.");
        // A replayed call never reaches the provider, so it needs no key.
        var key = Services.Cassette?.Mode == CassetteMode.Replay ? null : Services.Credentials.Require(profile);
        Secrets.Register(key?.Value);
        return new ChatTarget(profile, model, key);
    }

    private ProviderProfile Profile(string? overrideName)
    {
        var name = overrideName ?? Options.Provider;
        ProviderProfile profile;
        if (Options.BaseUrl is { } url && overrideName is null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new OrchestraException($"agent '{Name}': base_url '{url}' is not an http(s) URL, for example http://127.0.0.1:8080/v1.");
            if (!uri.AbsolutePath.EndsWith('/'))
                uri = new Uri(uri + "/");
            var basis = name is null ? null : Services.Providers.Get(name);
            profile = new ProviderProfile
            {
                Name = basis?.Name ?? Name,
                Protocol = basis?.Protocol ?? Protocol,
                BaseUrl = uri,
                ApiKeyEnv = Options.ApiKeyEnv ?? basis?.ApiKeyEnv,
                RequiresKey = Options.ApiKeyEnv is not null || basis?.RequiresKey == true,
                Headers = basis?.Headers ?? new Dictionary<string, string>(),
                Models = basis?.Models ?? new Dictionary<string, string>(),
                DefaultModel = basis?.DefaultModel,
            };
        }
        else
        {
            profile = name is null ? Services.Providers.DefaultFor(Protocol) : Services.Providers.Get(name);
            if (Options.ApiKeyEnv is { } env && overrideName is null)
                profile = profile with { ApiKeyEnv = env, RequiresKey = true };
        }
        if (Options.Headers.Count > 0)
        {
            var headers = new Dictionary<string, string>(profile.Headers, StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in Options.Headers)
                headers[k] = v;
            profile = profile with { Headers = headers };
        }
        return profile;
    }

    private IChatClient Client(ChatTarget target)
    {
        var cacheKey = $"{target.Profile.Name}|{target.Profile.BaseUrl}|{target.Profile.Protocol}|{target.Model}|{target.Key?.Value.GetHashCode(StringComparison.Ordinal)}";
        return _clients.GetOrAdd(cacheKey, _ =>
        {
            var cassette = Services.Cassette;
            if (cassette?.Mode == CassetteMode.Replay)
                return cassette.Wrap(null, target);
            IChatClient client = new ResilientChatClient(
                ChatClientFactory.Create(target, Options.RequestTimeout, Options.MaxTokens), target, Services.Resilience, Services.Time);
            return cassette is null ? client : cassette.Wrap(client, target);
        });
    }

    /// <inheritdoc />
    protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ChatTarget target;
        try
        {
            target = ResolveTarget(context.Step.Input);
        }
        catch (OrchestraException ex)
        {
            return AgentResult.Permanent(ex.Message);
        }

        var sessionId = Text(context.Step.Input, "session");
        SessionRecord? session = null;
        if (sessionId is not null)
        {
            session = await context.LoadSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            if (session is not null && session.Agent != Name)
                return AgentResult.Permanent($"session '{sessionId}' is a conversation with agent '{session.Agent}', not '{Name}': use another session name.");
        }

        var history = session is null ? [] : ReadTranscript(session.Messages);
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(Options.System))
            messages.Add(new ChatMessage(ChatRole.System, Options.System));
        messages.AddRange(history);
        var firstNew = messages.Count;
        messages.Add(new ChatMessage(ChatRole.User, context.Prompt));

        var client = Client(target);
        var usage = new UsageDetails();
        IToolHost? tools = null;
        try
        {
            if (Options.Tools is { Count: > 0 })
            {
                tools = Services.Tools is { } build ? await build(Options, context, cancellationToken).ConfigureAwait(false) : null;
                if (tools is null)
                    return AgentResult.Permanent($"agent '{Name}' asks for tools, but this Orchestra host provides none.");
            }
            var chatOptions = new ChatOptions
            {
                ModelId = target.Model,
                MaxOutputTokens = Options.MaxTokens,
                Temperature = Options.Temperature,
                Seed = Options.Seed,
                Tools = tools?.Tools is { Count: > 0 } t ? t.ToList() : null,
                ResponseFormat = _schema is null ? null : ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(_schema.Document), "output"),
            };

            var schemaRetries = 0;
            for (var iteration = 1; ; iteration++)
            {
                if (iteration > Options.MaxToolIterations)
                    return AgentResult.Permanent(
                        $"agent '{Name}' made {Options.MaxToolIterations} model calls without a final answer: raise max_tool_iterations or narrow the task.", ToUsage(usage, target));

                var response = await CallAsync(client, target, messages, chatOptions, context, iteration, cancellationToken).ConfigureAwait(false);
                if (response.Usage is { } u)
                    usage.Add(u);
                messages.AddMessages(response);

                var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
                if (calls.Count > 0)
                {
                    var results = new List<AIContent>(calls.Count);
                    foreach (var call in calls)
                        results.Add(await RunToolAsync(tools, call, context, cancellationToken).ConfigureAwait(false));
                    messages.Add(new ChatMessage(ChatRole.Tool, results));
                    continue;
                }

                var text = response.Text;
                JsonNode? data = null;
                if (_schema is not null)
                {
                    data = OutputSchema.ParseOutput(text, out var parseError);
                    var problems = parseError is not null ? [parseError] : _schema.Validate(data);
                    if (problems.Count > 0)
                    {
                        var summary = string.Join("; ", problems.Take(5));
                        context.Emit(new AgentEvent("schema_mismatch", new JsonObject { ["errors"] = Secrets.Redact(summary), ["retry"] = schemaRetries < Options.SchemaRetries }));
                        if (schemaRetries++ >= Options.SchemaRetries)
                            return AgentResult.Permanent($"agent '{Name}' output does not match its output_schema after {Options.SchemaRetries + 1} tries: {summary}", ToUsage(usage, target));
                        messages.Add(new ChatMessage(ChatRole.User,
                            $"Your reply does not match the required JSON Schema: {summary}. Reply again with only the corrected JSON document, no prose."));
                        continue;
                    }
                }

                var spent = ToUsage(usage, target);
                var result = AgentResult.Success(text, spent, data);
                if (sessionId is not null)
                {
                    var transcript = messages.Skip(Options.System is { Length: > 0 } ? 1 : 0).ToList();
                    result = result with
                    {
                        Session = new SessionRecord
                        {
                            Id = sessionId,
                            Agent = Name,
                            Messages = WriteTranscript(transcript),
                            Turns = (session?.Turns ?? 0) + 1,
                            Usage = (session?.Usage ?? default) + spent,
                        },
                    };
                }
                _ = firstNew;
                return result;
            }
        }
        catch (ProviderException ex)
        {
            var spent = ToUsage(usage, target);
            return ex.Failure.Transient
                ? AgentResult.Transient(ex.Message, spent) with { RetryAfter = ex.Failure.RetryAfter }
                : AgentResult.Permanent(ex.Message, spent);
        }
        catch (OrchestraException ex)
        {
            return AgentResult.Permanent(Secrets.Redact(ex.Message), ToUsage(usage, target));
        }
        finally
        {
            if (tools is not null)
                await tools.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ChatResponse> CallAsync(
        IChatClient client, ChatTarget target, List<ChatMessage> messages, ChatOptions options, AgentContext context, int iteration, CancellationToken ct)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, ct).ConfigureAwait(false))
        {
            updates.Add(update);
            foreach (var content in update.Contents)
            {
                if (content is TextContent { Text.Length: > 0 } t)
                    context.Emit(new AgentEvent("token", new JsonObject { ["text"] = t.Text }, Persist: false));
            }
        }
        var response = updates.ToChatResponse();
        if (response.FinishReason is null)
            throw new ProviderException(new ProviderFailure(true,
                $"provider '{target.Profile.Name}' (model {target.Model}) ended its response stream before the model finished; it will be retried"));
        var data = new JsonObject
        {
            ["provider"] = target.Profile.Name,
            ["model"] = target.Model,
            ["iteration"] = iteration,
            ["finish"] = response.FinishReason?.Value,
        };
        if (response.Usage is { } u)
        {
            data["input_tokens"] = u.InputTokenCount ?? 0;
            data["output_tokens"] = u.OutputTokenCount ?? 0;
        }
        context.Emit(new AgentEvent("model_call", data));
        return response;
    }

    private async Task<FunctionResultContent> RunToolAsync(IToolHost? tools, FunctionCallContent call, AgentContext context, CancellationToken ct)
    {
        var arguments = JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions);
        var tool = tools?.DisplayName(call.Name) ?? call.Name;
        context.Emit(new AgentEvent("tool_call", new JsonObject
        {
            ["tool"] = tool,
            ["call_id"] = call.CallId,
            ["arguments"] = Clip(Secrets.Redact(arguments)),
        }));
        ToolOutcome outcome;
        if (call.Exception is not null)
            outcome = new ToolOutcome(new FunctionResultContent(call.CallId, $"error: the arguments are not valid JSON: {call.Exception.Message}"), true);
        else if (tools is null)
            outcome = new ToolOutcome(new FunctionResultContent(call.CallId, $"error: there is no tool named '{call.Name}'; this agent has no tools"), true);
        else
        {
            try
            {
                outcome = await tools.InvokeAsync(call, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A tool that throws is still only a failed tool: the model reads the error and carries on.
                outcome = new ToolOutcome(new FunctionResultContent(call.CallId, $"error: tool '{call.Name}' failed: {Secrets.Redact(ex.Message)}"), true);
            }
        }
        context.Emit(new AgentEvent("tool_result", new JsonObject
        {
            ["tool"] = tool,
            ["call_id"] = call.CallId,
            ["is_error"] = outcome.IsError,
            ["result"] = Clip(Secrets.Redact(OpenAi.OpenAiChatClient.ResultText(outcome.Result.Result))),
        }));
        return outcome.Result;
    }

    private Usage ToUsage(UsageDetails usage, ChatTarget target)
    {
        var result = new Usage
        {
            InputTokens = usage.InputTokenCount ?? 0,
            OutputTokens = usage.OutputTokenCount ?? 0,
            CachedTokens = usage.CachedInputTokenCount ?? 0,
        };
        return result with { CostUsd = Services.Prices.Cost(target.Model, result) };
    }

    /// <summary>Serialises a conversation for the store.</summary>
    public static JsonArray WriteTranscript(IEnumerable<ChatMessage> messages) =>
        JsonSerializer.SerializeToNode(messages.ToList(), AIJsonUtilities.DefaultOptions) as JsonArray ?? [];

    /// <summary>Reads a conversation written by <see cref="WriteTranscript"/>.</summary>
    public static List<ChatMessage> ReadTranscript(JsonArray messages) =>
        messages.Deserialize<List<ChatMessage>>(AIJsonUtilities.DefaultOptions) ?? [];

    private static string? Text(JsonObject? input, string key) =>
        input?[key] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    private static string Clip(string text) => text.Length <= EventTextLimit ? text : text[..EventTextLimit] + "...";
}
