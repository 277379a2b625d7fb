using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Orchestra.Agents.Llm;

/// <summary>A provider call that failed, classified. Everything above the provider stack sees only these.</summary>
public sealed class ProviderException(ProviderFailure failure, Exception? inner = null) : Exception(failure.Message, inner)
{
    /// <summary>The classification.</summary>
    public ProviderFailure Failure { get; } = failure;
}

/// <summary>How hard one call tries before its failure goes back to the engine, which retries the step.</summary>
public sealed record ResilienceOptions
{
    /// <summary>Retries within one call for transient failures.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>The first retry delay; later ones double, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest wait a call spends inside itself. A server asking for more (<c>Retry-After</c>) ends the call,
    /// and the engine schedules the step's next attempt after that delay instead of holding a worker slot.
    /// </summary>
    public TimeSpan MaxInCallDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Share of failed calls, over <see cref="BreakerWindow"/>, that opens the provider's circuit.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Calls needed in the window before the circuit may open.</summary>
    public int BreakerMinimumCalls { get; init; } = 5;

    /// <summary>The window the breaker looks at.</summary>
    public TimeSpan BreakerWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before it lets one through to test the provider.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The defaults.</summary>
    public static ResilienceOptions Default { get; } = new();
}

/// <summary>
/// Classifies every failure of the client below it, retries transient ones a bounded number of times within the
/// call (honouring <c>Retry-After</c>), and keeps one circuit breaker per provider endpoint for the whole process.
/// A stream is retried only until its first update: after that, tokens have been handed on.
/// </summary>
public sealed class ResilientChatClient : DelegatingChatClient
{
    private static readonly ConcurrentDictionary<string, ResiliencePipeline> Pipelines = new(StringComparer.Ordinal);
    private readonly ChatTarget _target;
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Wraps <paramref name="inner"/>, which talks to <paramref name="target"/>.</summary>
    public ResilientChatClient(IChatClient inner, ChatTarget target, ResilienceOptions? options = null, TimeProvider? time = null)
        : base(inner)
    {
        _target = target;
        var o = options ?? ResilienceOptions.Default;
        // The breaker belongs to the endpoint, not to one agent: every agent on a failing provider backs off together.
        _pipeline = Pipelines.GetOrAdd($"{target.Profile.Name}|{target.Profile.BaseUrl}|{o.GetHashCode()}", _ => Build(o, time ?? TimeProvider.System));
    }

    private static ResiliencePipeline Build(ResilienceOptions o, TimeProvider time)
    {
        var transient = new PredicateBuilder().Handle<ProviderException>(e => e.Failure.Transient);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (o.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = o.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.RetryDelay,
                MaxDelay = o.MaxInCallDelay,
                ShouldHandle = new PredicateBuilder().Handle<ProviderException>(e =>
                    e.Failure.Transient && (e.Failure.RetryAfter is not { } after || after <= o.MaxInCallDelay)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ProviderException { Failure.RetryAfter: { } after } ? (TimeSpan?)after : null),
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = o.BreakerFailureRatio,
            MinimumThroughput = Math.Max(2, o.BreakerMinimumCalls),
            SamplingDuration = o.BreakerWindow,
            BreakDuration = o.BreakDuration,
            ShouldHandle = transient,
        });
        return builder.Build();
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        try
        {
            return await _pipeline.ExecuteAsync(async ct =>
            {
                var note = RetryAfterNote.Begin();
                try
                {
                    return await base.GetResponseAsync(list, options, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && ex is not ProviderException)
                {
                    throw new ProviderException(ProviderErrors.Classify(ex, _target, note.Value), ex);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw new ProviderException(ProviderErrors.Classify(ex, _target), ex);
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        IAsyncEnumerator<ChatResponseUpdate> stream;
        ChatResponseUpdate? first;
        try
        {
            (stream, first) = await _pipeline.ExecuteAsync(async ct =>
            {
                var note = RetryAfterNote.Begin();
                var e = base.GetStreamingResponseAsync(list, options, ct).GetAsyncEnumerator(ct);
                try
                {
                    return (e, await e.MoveNextAsync().ConfigureAwait(false) ? e.Current : null);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    await e.DisposeAsync().ConfigureAwait(false);
                    if (ex is ProviderException)
                        throw;
                    throw new ProviderException(ProviderErrors.Classify(ex, _target, note.Value), ex);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw new ProviderException(ProviderErrors.Classify(ex, _target), ex);
        }

        await using (stream.ConfigureAwait(false))
        {
            if (first is null)
                yield break;
            yield return first;
            while (true)
            {
                ChatResponseUpdate next;
                try
                {
                    if (!await stream.MoveNextAsync().ConfigureAwait(false))
                        break;
                    next = stream.Current;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not ProviderException)
                {
                    throw new ProviderException(ProviderErrors.Classify(ex, _target), ex);
                }
                yield return next;
            }
        }
    }
}
