using System.Net;
using System.Net.Http.Headers;

namespace Orchestra.Agents.Llm;

/// <summary>
/// The one <see cref="HttpClient"/> every provider client shares: pooled connections (hundreds of concurrent
/// streams need no new sockets per call) and a handler that notes a refusal's <c>Retry-After</c> for the caller.
/// </summary>
public static class ProviderHttp
{
    private static readonly Lazy<HttpClient> Shared = new(() => new HttpClient(new RetryAfterHandler(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(30),
    }))
    {
        // Deadlines come from the SDKs' own timeouts and the step's cancellation.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    /// <summary>The shared client.</summary>
    public static HttpClient Client => Shared.Value;
}

/// <summary>
/// Carries the <c>Retry-After</c> of the last refused request of one logical call back to the code that made it.
/// Set <see cref="Begin"/> before calling an SDK; read <see cref="Value"/> after it failed.
/// </summary>
public sealed class RetryAfterNote
{
    private static readonly AsyncLocal<RetryAfterNote?> Current = new();

    /// <summary>The delay the server asked for, or null.</summary>
    public TimeSpan? Value { get; internal set; }

    /// <summary>Starts noting for the calls made from this asynchronous flow on.</summary>
    public static RetryAfterNote Begin()
    {
        var note = new RetryAfterNote();
        Current.Value = note;
        return note;
    }

    internal static RetryAfterNote? Active => Current.Value;
}

internal sealed class RetryAfterHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && RetryAfterNote.Active is { } note && Parse(response.Headers.RetryAfter, response.Headers) is { } delay)
            note.Value = delay;
        return response;
    }

    internal static TimeSpan? Parse(RetryConditionHeaderValue? header, HttpResponseHeaders headers)
    {
        if (header?.Delta is { } delta)
            return delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        // Some providers send only the millisecond form.
        if (headers.TryGetValues("retry-after-ms", out var values) && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms))
            return TimeSpan.FromMilliseconds(ms);
        return null;
    }
}
