using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra auth login|status|logout</c>: API keys in the user's credentials file, never printed.</summary>
internal static class AuthCommand
{
    private static readonly Argument<string> Provider = new("provider") { Description = "A provider profile, as listed by 'orchestra provider list'." };
    private static readonly Option<bool> NoVerify = new("--no-verify") { Description = "Store the key without checking it against the provider." };
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print JSON." };

    public static Command Create()
    {
        var login = new Command("login", "Store a provider's API key (read from standard input, or asked for without echo on a terminal) after checking it.") { Provider, NoVerify };
        login.SetAction(async (ctx, ct) =>
        {
            var profile = ProviderFiles.Load(ctx.Workspace).Get(ctx.Parse.GetValue(Provider)!);
            var key = ReadKey(ctx, profile);
            if (string.IsNullOrWhiteSpace(key))
                throw new OrchestraException($"no key given: pipe it in, for example 'orchestra auth login {profile.Name} < key.txt'.");
            key = key.Trim();
            Secrets.Register(key);
            if (!ctx.Parse.GetValue(NoVerify))
            {
                var models = await ModelDiscovery.ListAsync(profile, new ApiKey(key, KeySource.Stored), ct);
                ctx.Error.WriteLine($"the key works: {profile.Name} serves {models.Count} model(s)");
            }
            var store = CredentialStore.User;
            store.Save(profile.Name, key);
            ctx.Out.WriteLine($"stored the key for {profile.Name} ({ApiKey.Mask(key)}) in {store.Path}");
            if (profile.ApiKeyEnv is { } v && Environment.GetEnvironmentVariable(v) is { Length: > 0 })
                ctx.Error.WriteLine($"note: {v} is set and takes precedence over the stored key");
            return ExitCodes.Success;
        });

        var status = new Command("status", "Show which providers have a key, and where it comes from (masked).") { JsonOutput };
        status.SetAction((ctx, ct) =>
        {
            var catalog = ProviderFiles.Load(ctx.Workspace);
            var store = CredentialStore.User;
            if (ctx.Parse.GetValue(JsonOutput))
            {
                var arr = new JsonArray();
                foreach (var p in catalog.All)
                {
                    var key = store.Find(p);
                    arr.Add(new JsonObject
                    {
                        ["provider"] = p.Name,
                        ["source"] = key is null ? "none" : key.Source == KeySource.Environment ? "env" : "stored",
                        ["variable"] = p.ApiKeyEnv,
                        ["key"] = key?.Masked,
                        ["requires_key"] = p.RequiresKey,
                    });
                }
                Json.Write(ctx.Out, arr);
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new TextTable("PROVIDER", "KEY", "FROM");
            foreach (var p in catalog.All)
            {
                var key = store.Find(p);
                if (key is null)
                    table.AddRow((p.Name, null), (p.RequiresKey ? "missing" : "not needed", p.RequiresKey ? "yellow" : null),
                        (p.ApiKeyEnv is { } v ? $"set {v} or run 'orchestra auth login {p.Name}'" : "-", null));
                else
                    table.AddRow((p.Name, null), (key.Masked, "green"), (key.Source == KeySource.Environment ? $"${p.ApiKeyEnv}" : store.Path, null));
            }
            ctx.Out.Write(table.Render(ctx.UseAnsi, ctx.Width));
            return Task.FromResult(ExitCodes.Success);
        });

        var logout = new Command("logout", "Forget a provider's stored key.") { Provider };
        logout.SetAction((ctx, ct) =>
        {
            var name = ctx.Parse.GetValue(Provider)!;
            var store = CredentialStore.User;
            ctx.Out.WriteLine(store.Remove(name) ? $"forgot the stored key for {name}" : $"no stored key for {name}");
            return Task.FromResult(ExitCodes.Success);
        });

        return new Command("auth", "Provider API keys: login, status, logout.") { login, status, logout };
    }

    private static string? ReadKey(CliContext ctx, ProviderProfile profile)
    {
        if (Console.IsInputRedirected)
            return Console.In.ReadLine();
        // On a terminal: ask without echo.
        ctx.Error.Write($"API key for {profile.Name}: ");
        var sb = new StringBuilder();
        while (true)
        {
            var k = Console.ReadKey(intercept: true);
            if (k.Key == ConsoleKey.Enter)
                break;
            if (k.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0) sb.Length--;
                continue;
            }
            sb.Append(k.KeyChar);
        }
        ctx.Error.WriteLine();
        return sb.ToString();
    }
}
