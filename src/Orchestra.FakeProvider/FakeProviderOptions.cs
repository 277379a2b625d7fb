namespace Orchestra.FakeProvider;

/// <summary>How a <see cref="FakeProviderServer"/> listens and answers.</summary>
public sealed record FakeProviderOptions
{
    /// <summary>The TCP port on 127.0.0.1; 0 lets the system pick a free one (read it from <see cref="FakeProviderServer.BaseUrl"/>).</summary>
    /// <value>The default value is 0.</value>
    public int Port { get; init; }

    /// <summary>
    /// The API key every request must present (<c>Authorization: Bearer</c>, or <c>x-api-key</c> for Anthropic);
    /// null accepts any key or none. A wrong or missing key gets 401 in the protocol's error shape.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? RequiredApiKey { get; init; }

    /// <summary>The models <c>GET /v1/models</c> lists; the first one is the model replies name when a request names none.</summary>
    /// <value>The default value is <c>["fake-model"]</c>.</value>
    public IReadOnlyList<string> Models { get; init; } = ["fake-model"];

    /// <summary>Replies queued at start, before any <see cref="FakeProviderServer.Enqueue(FakeReply)"/>.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<FakeReply> Replies { get; init; } = [];

    /// <summary>
    /// The reply for a request no queued reply matches. Null answers with the text
    /// <c>fake reply to: &lt;last user text, at most 200 characters&gt;</c>.
    /// </summary>
    /// <value>The default value is null.</value>
    public Func<RecordedRequest, FakeReply>? DefaultReply { get; init; }

    /// <summary>The clock for timestamps in replies and for <see cref="FakeReply.FirstByteDelay"/>.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"FakeProviderOptions.Port must be from 0 to 65535 (0 picks a free port), not {Port}.");
        ArgumentNullException.ThrowIfNull(Models);
        if (Models.Count == 0 || Models.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("FakeProviderOptions.Models must list at least one model, none of them empty.");
        if (RequiredApiKey is { Length: 0 })
            throw new ArgumentException("FakeProviderOptions.RequiredApiKey is empty: give a key, or null to accept any.");
        ArgumentNullException.ThrowIfNull(Replies);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        foreach (var reply in Replies)
            reply.Validate();
    }
}
