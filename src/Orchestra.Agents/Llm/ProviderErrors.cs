using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>A classified provider failure: whether a retry can help, and a one-line message that says what to check.</summary>
/// <param name="Transient">True when a retry may succeed (rate limits, server errors, timeouts, dropped streams).</param>
/// <param name="Message">The message, with secrets removed.</param>
/// <param name="Status">The HTTP status, when there was one.</param>
/// <param name="RetryAfter">The delay the server asked for, if any.</param>
public sealed record ProviderFailure(bool Transient, string Message, int? Status = null, TimeSpan? RetryAfter = null);

/// <summary>Turns the SDKs' exceptions into <see cref="ProviderFailure"/>s.</summary>
public static class ProviderErrors
{
    /// <summary>Classifies <paramref name="ex"/>, thrown while calling <paramref name="target"/>.</summary>
    public static ProviderFailure Classify(Exception ex, ChatTarget target, TimeSpan? retryAfter = null)
    {
        var who = $"provider '{target.Profile.Name}' (model {target.Model})";
        var failure = ex switch
        {
            OrchestraException oe => new ProviderFailure(false, oe.Message),
            ClientResultException cre when cre.Status == 0 => Network(who, cre.InnerException ?? cre),
            ClientResultException cre => FromStatus(who, target, cre.Status, ApiMessage(cre.GetRawResponse()?.Content?.ToString()) ?? cre.Message, retryAfter),
            AnthropicApiException aae => FromStatus(who, target, (int)aae.StatusCode, ApiMessage(aae.ResponseBody) ?? aae.Message, retryAfter),
            AnthropicSseException => new ProviderFailure(true, $"{who} broke off its response stream; it will be retried"),
            AnthropicIOException aio => Network(who, (Exception?)aio.InnerException ?? aio),
            AnthropicInvalidDataException or JsonException or FormatException =>
                new ProviderFailure(true, $"{who} sent a response that is not valid JSON for its protocol: {FirstLine(ex.Message)}"),
            Polly.CircuitBreaker.BrokenCircuitException bce =>
                new ProviderFailure(true, $"{who} failed repeatedly, so calls to it are paused for a while (circuit open); it will be retried", RetryAfter: bce.RetryAfter),
            TimeoutException or TaskCanceledException or OperationCanceledException =>
                new ProviderFailure(true, $"{who} did not answer in time; it will be retried"),
            HttpRequestException or IOException => Network(who, ex),
            _ => new ProviderFailure(false, $"{who} failed: {FirstLine(ex.Message)}"),
        };
        return failure with { Message = Secrets.Redact(failure.Message) };
    }

    private static ProviderFailure Network(string who, Exception ex) =>
        new(true, $"{who} could not be reached: {FirstLine(ex.Message)}; it will be retried");

    private static ProviderFailure FromStatus(string who, ChatTarget target, int status, string detail, TimeSpan? retryAfter)
    {
        detail = FirstLine(detail);
        var keyHint = target.Profile.ApiKeyEnv is { } v ? $"check {v} or run 'orchestra auth login {target.Profile.Name}'" : $"run 'orchestra auth login {target.Profile.Name}'";
        return status switch
        {
            429 => new(true, $"{who} is rate limiting requests (429): {detail}", status, retryAfter),
            408 or 409 or 425 => new(true, $"{who} answered {status}: {detail}; it will be retried", status, retryAfter),
            >= 500 => new(true, $"{who} had a server error ({status}): {detail}; it will be retried", status, retryAfter),
            400 or 422 => new(false, $"{who} refused the request ({status}): {detail}; check the model name and the agent's options (max_tokens, temperature, output_schema, tools)", status),
            401 => new(false, $"{who} rejected the API key (401): {keyHint}", status),
            402 => new(false, $"{who} wants payment (402): {detail}; check the account's credit", status),
            403 => new(false, $"{who} refused access (403): {detail}; check that the key may use model '{target.Model}'", status),
            404 => new(false, $"{who} has no such model or endpoint (404): {detail}; check 'model:' and the base URL {target.Profile.BaseUrl}", status),
            _ => new(false, $"{who} answered {status}: {detail}", status),
        };
    }

    /// <summary>The <c>message</c> of an OpenAI or Anthropic error body, or null.</summary>
    private static string? ApiMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                    return m.GetString();
                if (error.ValueKind == JsonValueKind.String)
                    return error.GetString();
            }
        }
        catch (JsonException)
        {
        }
        return body.Length > 200 ? body[..200] + "..." : body;
    }

    private static string FirstLine(string text)
    {
        var line = text.AsSpan().Trim();
        var nl = line.IndexOfAny('\r', '\n');
        var first = (nl >= 0 ? line[..nl] : line).ToString();
        return first.Length > 300 ? first[..300] + "..." : first;
    }

    /// <summary>True for statuses where a retry may help.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) => (int)status is 408 or 409 or 425 or 429 or >= 500;
}
