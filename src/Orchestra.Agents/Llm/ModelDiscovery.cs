using System.ClientModel;
using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>Asks an endpoint which models it serves (<c>GET /v1/models</c>), through the provider's SDK.</summary>
public static class ModelDiscovery
{
    /// <summary>Model ids served by <paramref name="profile"/>, sorted.</summary>
    /// <exception cref="OrchestraException">The endpoint refused or could not be reached; one line that says what to check.</exception>
    public static async Task<IReadOnlyList<string>> ListAsync(ProviderProfile profile, ApiKey? key, CancellationToken cancellationToken = default)
    {
        Secrets.Register(key?.Value);
        var timeout = TimeSpan.FromSeconds(30);
        var note = RetryAfterNote.Begin();
        try
        {
            var ids = new List<string>();
            if (profile.Protocol == ProviderProtocol.Anthropic)
            {
                using var client = ChatClientFactory.AnthropicClientFor(profile, key, timeout);
                var page = await client.Models.List(new Anthropic.Models.Models.ModelListParams(), cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    ids.AddRange(page.Items.Select(m => m.ID));
                    if (!page.HasNext())
                        break;
                    page = await page.Next(cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var client = new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential(key?.Value ?? "none"), ChatClientFactory.OpenAiOptions(profile, timeout));
                var models = await client.GetModelsAsync(cancellationToken).ConfigureAwait(false);
                ids.AddRange(models.Value.Select(m => m.Id));
            }
            ids.Sort(StringComparer.Ordinal);
            return ids;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (ex is OrchestraException)
                throw;
            var failure = ProviderErrors.Classify(ex, new ChatTarget(profile, "(models)", key), note.Value);
            throw new OrchestraException(failure.Message, failure.Transient ? ErrorKind.Environment : ErrorKind.Usage);
        }
    }
}
