using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Orchestra.FakeProvider;

/// <summary>
/// Writes a <c>text/event-stream</c> response one event at a time, flushing each so clients see deltas as they
/// come. Counts events so that a reply can cut the connection after a given number.
/// </summary>
internal sealed class SseWriter
{
    private readonly HttpContext _http;
    private readonly int? _cutAfter;
    private readonly CancellationToken _cancel;
    private int _written;

    private SseWriter(HttpContext http, int? cutAfter, CancellationToken cancel)
    {
        _http = http;
        _cutAfter = cutAfter;
        _cancel = cancel;
    }

    /// <summary>Sends the status and headers of an event stream.</summary>
    public static async Task<SseWriter> StartAsync(HttpContext http, int? cutAfter, CancellationToken cancel)
    {
        if (cutAfter == 0)
            CutBeforeResponse(http);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        if (cutAfter is not null)
            PrepareCut(response, long.MaxValue / 2);
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancel).ConfigureAwait(false);
        return new SseWriter(http, cutAfter, cancel);
    }

    /// <summary>
    /// Makes ending the response early look like a dropped connection: the body promises more bytes than will
    /// come and the connection closes after what was written has been delivered. (Aborting the socket instead
    /// could discard data already written, so the client would not see the events before the cut.)
    /// </summary>
    public static void PrepareCut(HttpResponse response, long promisedLength)
    {
        response.ContentLength = promisedLength;
        response.Headers.Connection = "close";
    }

    /// <summary>A cut before anything was sent: the connection is dropped without a response.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void CutBeforeResponse(HttpContext http)
    {
        http.Abort();
        throw new StreamCutException();
    }

    /// <summary>One event: an optional <c>event:</c> line and a <c>data:</c> line with <paramref name="data"/> as JSON.</summary>
    public Task WriteAsync(string? name, JsonNode data) => WriteDataAsync(name, data.ToJsonString());

    /// <summary>One event whose data is <paramref name="data"/> as it is (it must be a single line).</summary>
    public async Task WriteDataAsync(string? name, string data)
    {
        var text = new StringBuilder();
        if (name is not null)
            text.Append("event: ").Append(name).Append('\n');
        text.Append("data: ").Append(data).Append("\n\n");
        await _http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), _cancel).ConfigureAwait(false);
        await _http.Response.Body.FlushAsync(_cancel).ConfigureAwait(false);
        _written++;
        CutIfDue();
    }

    /// <summary>An event whose data is not valid JSON; the stream should end after it.</summary>
    public Task WriteMalformedAsync(string? name) => WriteDataAsync(name, "{\"type\": \"broken, not json");

    private void CutIfDue()
    {
        if (_cutAfter is { } limit && _written >= limit)
            throw new StreamCutException();
    }
}

/// <summary>Unwinds a reply whose connection was cut on purpose.</summary>
internal sealed class StreamCutException : Exception
{
    public StreamCutException() : base("The stream was cut as the reply asked.") { }
}
