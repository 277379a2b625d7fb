using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Orchestra.FakeProvider.Tests;

/// <summary>One server-sent event as a client sees it.</summary>
public sealed record SseEvent(string? Name, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>Plain HTTP against a fake server, for what the SDKs hide: raw bodies, headers, event names, cut streams.</summary>
public static class Http
{
    public static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) });

    public static HttpRequestMessage Post(FakeProviderServer server, string path, string json, string? bearer = null, bool anthropic = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseUrl, path.TrimStart('/')))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (anthropic)
            request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    public static async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpRequestMessage request)
    {
        var response = await Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    public static Task<(HttpResponseMessage Response, string Body)> PostAsync(FakeProviderServer server, string path, string json, bool anthropic = false) =>
        SendAsync(Post(server, path, json, anthropic: anthropic));

    public static Task<(HttpResponseMessage Response, string Body)> GetAsync(FakeProviderServer server, string path, bool anthropic = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUrl, path.TrimStart('/')));
        if (anthropic)
            request.Headers.Add("anthropic-version", "2023-06-01");
        return SendAsync(request);
    }

    /// <summary>Splits an event-stream body into its events.</summary>
    public static List<SseEvent> Events(string body)
    {
        var events = new List<SseEvent>();
        foreach (var block in body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            var data = new StringBuilder();
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                    name = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    data.Append(line["data: ".Length..]);
            }
            events.Add(new SseEvent(name, data.ToString()));
        }
        return events;
    }

    public static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;
}
