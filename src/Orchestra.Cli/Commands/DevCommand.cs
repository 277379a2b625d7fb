using System.CommandLine;
using Orchestra.Core;
using Orchestra.FakeProvider;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra dev fake-provider</c>: tools for developing and testing against Orchestra.</summary>
internal static class DevCommand
{
    private static readonly Option<int> Port = new("--port") { Description = "TCP port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Script = new("--script") { Description = "A JSON file of scripted replies (see docs/fake-provider.md)." };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = "Refuse requests that do not present this key (default: accept any)." };
    private static readonly Option<string?> Models = new("--models") { Description = "Comma-separated model names GET /v1/models lists (default: fake-model, or the script's)." };

    public static Command Create()
    {
        var fake = new Command("fake-provider",
            "Serve a fake OpenAI (Chat Completions, Responses) and Anthropic (Messages) API on 127.0.0.1 with scripted replies, until Ctrl+C.")
        {
            Port, Script, ApiKey, Models,
        };
        fake.SetAction(RunFakeProviderAsync);
        return new Command("dev", "Tools for developing and testing with Orchestra offline.") { fake };
    }

    private static async Task<int> RunFakeProviderAsync(CliContext ctx, CancellationToken cancellationToken)
    {
        var port = ctx.Parse.GetValue(Port);
        if (port is < 0 or > 65535)
            throw new OrchestraException($"--port {port} is not a TCP port: use 1 to 65535, or 0 for any free port.");
        var options = new FakeProviderOptions { Port = port };
        if (ctx.Parse.GetValue(Script) is { } script)
            options = FakeReplyScript.Load(script).ApplyTo(options);
        if (ctx.Parse.GetValue(ApiKey) is { } key)
        {
            options = key.Length > 0
                ? options with { RequiredApiKey = key }
                : throw new OrchestraException("--api-key is empty: give a key, or leave the option out to accept any.");
        }
        if (ctx.Parse.GetValue(Models) is { } list)
        {
            var models = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            options = models.Count > 0
                ? options with { Models = models }
                : throw new OrchestraException($"--models '{list}' names no model: give names separated by commas, such as --models gpt-test,claude-test.");
        }
        await FakeProviderServer.RunAsync(options, server =>
        {
            var root = server.BaseUrl.ToString();
            ctx.Out.WriteLine($"fake provider listening on {root} (OpenAI: {server.OpenAiBaseUrl.ToString().TrimEnd('/')}, Anthropic: {root.TrimEnd('/')})");
            ctx.Out.Flush();
        }, cancellationToken);
        return ExitCodes.Success;
    }
}
