using System.CommandLine;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Cli.Rendering;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra provider list</c> and <c>orchestra provider models NAME</c>.</summary>
internal static class ProviderCommand
{
    private static readonly Option<bool> JsonOutput = new("--json") { Description = "Print JSON." };
    private static readonly Argument<string> Name = new("provider") { Description = "A provider profile, as listed by 'orchestra provider list'." };

    public static Command Create()
    {
        var list = new Command("list", "List provider profiles: protocol, base URL, key variable, whether a key is set, model aliases.") { JsonOutput };
        list.SetAction((ctx, ct) =>
        {
            var catalog = ProviderFiles.Load(ctx.Workspace);
            var credentials = CredentialStore.User;
            if (ctx.Parse.GetValue(JsonOutput))
            {
                var arr = new JsonArray();
                foreach (var p in catalog.All)
                {
                    var key = credentials.Find(p);
                    var models = new JsonObject();
                    foreach (var (alias, model) in p.Models.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                        models[alias] = model;
                    arr.Add(new JsonObject
                    {
                        ["name"] = p.Name,
                        ["kind"] = p.Kind,
                        ["base_url"] = p.BaseUrl.ToString(),
                        ["api_key_env"] = p.ApiKeyEnv,
                        ["requires_key"] = p.RequiresKey,
                        ["key"] = key is null ? "none" : key.Source == KeySource.Environment ? "env" : "stored",
                        ["default_model"] = p.DefaultModel,
                        ["models"] = models,
                    });
                }
                Json.Write(ctx.Out, arr);
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new TextTable("PROVIDER", "KIND", "BASE URL", "KEY", "MODELS");
            foreach (var p in catalog.All)
            {
                var key = credentials.Find(p);
                var (keyText, colour) = !p.RequiresKey && key is null ? ("not needed", (string?)null)
                    : key is null ? ("missing", "yellow")
                    : key.Source == KeySource.Environment ? ($"{p.ApiKeyEnv}", "green") : ("stored", "green");
                var aliases = string.Join(", ", p.Models.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
                table.AddRow((p.Name, null), (p.Kind, null), (p.BaseUrl.ToString(), null), (keyText, colour), (aliases.Length > 0 ? aliases : "-", null));
            }
            ctx.Out.Write(table.Render(ctx.UseAnsi, ctx.Width));
            return Task.FromResult(ExitCodes.Success);
        });

        var models = new Command("models", "List the models a provider serves (GET /v1/models).") { Name, JsonOutput };
        models.SetAction(async (ctx, ct) =>
        {
            var profile = ProviderFiles.Load(ctx.Workspace).Get(ctx.Parse.GetValue(Name)!);
            var key = CredentialStore.User.Require(profile);
            var ids = await ModelDiscovery.ListAsync(profile, key, ct);
            if (ctx.Parse.GetValue(JsonOutput))
                Json.Write(ctx.Out, new JsonArray(ids.Select(i => (JsonNode?)i).ToArray()));
            else
                foreach (var id in ids)
                    ctx.Out.WriteLine(id);
            return ExitCodes.Success;
        });

        return new Command("provider", "LLM provider profiles: built in, or from providers.yaml.") { list, models };
    }
}
