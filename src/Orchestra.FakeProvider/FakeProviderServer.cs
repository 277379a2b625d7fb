using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestra.Core;

namespace Orchestra.FakeProvider;

/// <summary>
/// A local HTTP server on 127.0.0.1 that answers like OpenAI (Chat Completions, Responses, models) and Anthropic
/// (Messages, token counting, models), so the real SDKs and CLIs can run offline against scripted replies.
/// Thread-safe; dispose it to stop listening.
/// <code>
/// await using var server = await FakeProviderServer.StartAsync();
/// server.Enqueue(FakeReply.FromText("Hello!"));
/// var client = new ChatClient("fake-model", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = server.OpenAiBaseUrl });
/// </code>
/// </summary>
public sealed partial class FakeProviderServer : IAsyncDisposable
{
    private const long MaxBodyBytes = 64L * 1024 * 1024;

    private readonly FakeProviderOptions _options;
    private readonly ReplyQueue _queue = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _requestsLock = new();
    private readonly IdSource _ids = new();
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _disposed;

    private FakeProviderServer(FakeProviderOptions options)
    {
        _options = options;
        foreach (var reply in options.Replies)
            _queue.Add(reply);
    }

    /// <summary>The server's root, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>What OpenAI clients take as their endpoint or base URL: <see cref="BaseUrl"/> with <c>v1/</c>.</summary>
    public Uri OpenAiBaseUrl => new(BaseUrl, "v1/");

    /// <summary>What Anthropic clients take as their base URL (<c>ANTHROPIC_BASE_URL</c>): the root, since they add <c>/v1/messages</c>.</summary>
    public Uri AnthropicBaseUrl => BaseUrl;

    /// <summary>Every request received so far, oldest first (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requestsLock)
                return [.. _requests];
        }
    }

    /// <summary>How many queued replies are waiting to be used (sticky ones included).</summary>
    public int PendingReplies => _queue.Count;

    /// <summary>Starts listening on 127.0.0.1 (<see cref="FakeProviderOptions.Port"/>, by default any free port).</summary>
    /// <exception cref="ArgumentException">The options or a reply in them cannot work.</exception>
    /// <exception cref="OrchestraException">The port cannot be listened on.</exception>
    public static async Task<FakeProviderServer> StartAsync(FakeProviderOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FakeProviderOptions();
        options.Validate();
        var server = new FakeProviderServer(options);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            // HTTP/1.1 only: what the provider SDKs and CLIs speak here, and what cut streams are shaped for.
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        // No console lifetime: the host must not take over Ctrl+C or print anything; the owner stops it.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new OrchestraException($"The fake provider cannot listen on 127.0.0.1:{options.Port} ({ex.Message}): pick another port, or 0 for any free one.", ErrorKind.Environment, ex);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server._app = app;
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled, then stops; returns normally on cancellation.</summary>
    public static Task RunAsync(FakeProviderOptions? options, CancellationToken cancellationToken) => RunAsync(options, null, cancellationToken);

    /// <summary>Like <see cref="RunAsync(FakeProviderOptions?, CancellationToken)"/>, calling <paramref name="started"/> once it listens.</summary>
    public static async Task RunAsync(FakeProviderOptions? options, Action<FakeProviderServer>? started, CancellationToken cancellationToken)
    {
        var server = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        await using (server.ConfigureAwait(false))
        {
            started?.Invoke(server);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Asked to stop: the normal end of a run.
            }
        }
    }

    /// <summary>Queues <paramref name="reply"/> after the ones already waiting.</summary>
    /// <exception cref="ArgumentException">The reply cannot be sent (see <see cref="FakeReply.Validate"/>).</exception>
    public void Enqueue(FakeReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        _queue.Add(reply);
    }

    /// <summary>Queues each of <paramref name="replies"/> in order.</summary>
    public void Enqueue(IEnumerable<FakeReply> replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        foreach (var reply in replies)
            Enqueue(reply);
    }

    /// <summary>Drops every queued reply, sticky ones included.</summary>
    public void ClearReplies() => _queue.Clear();

    /// <summary>Stops listening, ending replies still in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    /// <summary>A host lifetime that leaves signals and the console alone.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
