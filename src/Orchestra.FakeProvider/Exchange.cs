using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Orchestra.FakeProvider;

/// <summary>One request being answered: what the protocols need to write their replies.</summary>
internal sealed class Exchange(HttpContext http, RecordedRequest request, IdSource ids, TimeProvider time, CancellationToken cancel)
{
    public HttpContext Http { get; } = http;

    public RecordedRequest Request { get; } = request;

    public IdSource Ids { get; } = ids;

    public CancellationToken Cancel { get; } = cancel;

    /// <summary>Now, in Unix seconds, for <c>created</c> fields.</summary>
    public long UnixNow => time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Now, for RFC 3339 timestamps.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Starts an event stream that honours the reply's cut.</summary>
    public Task<SseWriter> StartSseAsync(ReplyPlan plan) => SseWriter.StartAsync(Http, plan.Reply.CutStreamAfterChunks, Cancel);

    /// <summary>A JSON reply, malformed or cut when the plan says so.</summary>
    public async Task WriteReplyJsonAsync(JsonNode body, ReplyPlan plan)
    {
        var text = body.ToJsonString();
        if (plan.Reply.MalformedJson)
            text = TextSplit.Truncate(text, text.Length / 2);
        var bytes = Encoding.UTF8.GetBytes(text);
        var response = Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = bytes.Length;
        if (plan.Reply.CutStreamAfterChunks is not null)
        {
            // Half the body, then the end of the connection: what a dropped link looks like.
            SseWriter.PrepareCut(response, bytes.Length);
            await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), Cancel).ConfigureAwait(false);
            throw new StreamCutException();
        }
        await response.Body.WriteAsync(bytes, Cancel).ConfigureAwait(false);
    }

    /// <summary>A JSON answer with <paramref name="status"/> (model lists, token counts, errors).</summary>
    public Task WriteJsonAsync(int status, JsonNode body, TimeSpan? retryAfter = null)
    {
        var response = Http.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            response.Headers["retry-after-ms"] = Math.Ceiling(wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, Cancel).AsTask();
    }
}
