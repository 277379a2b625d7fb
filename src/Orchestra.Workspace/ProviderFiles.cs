using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Core;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>One entry under <c>providers:</c> in a <c>providers.yaml</c>; fields left out keep the built-in profile's values.</summary>
public sealed record ProviderSpec
{
    /// <summary><c>openai</c> or <c>anthropic</c>: the protocol. Required for a new profile.</summary>
    public string? Kind { get; set; }

    /// <summary>The API base URL.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The environment variable holding the key.</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>False for endpoints that take no key.</summary>
    public bool? RequiresKey { get; set; }

    /// <summary>Extra headers.</summary>
    public Dictionary<string, string>? Headers { get; set; }

    /// <summary>Model aliases, merged over the profile's.</summary>
    public Dictionary<string, string>? Models { get; set; }

    /// <summary>The model used when an agent names none.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>One line for <c>provider list</c>.</summary>
    public string? Description { get; set; }
}

/// <summary>The <c>providers:</c> map of a <c>providers.yaml</c>.</summary>
public sealed record ProvidersFile
{
    /// <summary>Profiles by name.</summary>
    public Dictionary<string, ProviderSpec> Providers { get; set; } = [];
}

/// <summary>Loads provider profiles: the built-ins, changed by the user's <c>providers.yaml</c>, then by the project's <c>.orchestra/providers.yaml</c>.</summary>
public static class ProviderFiles
{
    /// <summary>The catalog for <paramref name="workspace"/>.</summary>
    /// <exception cref="OrchestraException">A file that does not parse or names an unknown kind, with its position.</exception>
    public static ProviderCatalog Load(OrchestraWorkspace workspace)
    {
        var profiles = BuiltInProfiles.All.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var path in new[] { UserConfig.ProvidersFile, Path.Combine(workspace.StateDir, "providers.yaml") })
        {
            if (!File.Exists(path))
                continue;
            var source = YamlSource.Load(path);
            var file = SpecBinder.Bind<ProvidersFile>(source, source.Root, "$");
            foreach (var (name, spec) in file.Providers)
                profiles[name] = Merge(profiles.GetValueOrDefault(name), name, spec, source);
        }
        return new ProviderCatalog(profiles.Values);
    }

    private static ProviderProfile Merge(ProviderProfile? basis, string name, ProviderSpec spec, YamlSource source)
    {
        var at = $"$.providers.{name}";
        if (!Orchestra.Core.Model.Ids.IsValidName(name))
            throw source.Error(at, $"'{name}' is not a valid provider name: use letters, digits, '-' and '_'.");
        ProviderProtocol protocol;
        if (spec.Kind is null)
            protocol = basis?.Protocol ?? throw source.Error(at, $"provider '{name}' needs 'kind: openai' or 'kind: anthropic'.");
        else
            protocol = spec.Kind switch
            {
                "openai" => ProviderProtocol.OpenAi,
                "anthropic" => ProviderProtocol.Anthropic,
                _ => throw source.Error(at + ".kind", $"unknown provider kind '{spec.Kind}': use openai (any OpenAI-compatible endpoint) or anthropic."),
            };
        Uri? baseUrl = basis?.BaseUrl;
        if (spec.BaseUrl is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw source.Error(at + ".base_url", $"'{url}' is not an http(s) URL, for example http://127.0.0.1:8080/v1.");
            baseUrl = u.AbsolutePath.EndsWith('/') ? u : new Uri(u + "/");
        }
        if (baseUrl is null)
            throw source.Error(at, $"provider '{name}' needs 'base_url:'.");
        var models = new Dictionary<string, string>(basis?.Models ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in spec.Models ?? [])
            models[k] = v;
        var apiKeyEnv = spec.ApiKeyEnv ?? basis?.ApiKeyEnv;
        return new ProviderProfile
        {
            Name = name,
            Protocol = protocol,
            BaseUrl = baseUrl,
            ApiKeyEnv = apiKeyEnv,
            RequiresKey = spec.RequiresKey ?? basis?.RequiresKey ?? apiKeyEnv is not null,
            Headers = spec.Headers ?? basis?.Headers ?? new Dictionary<string, string>(),
            Models = models,
            DefaultModel = spec.DefaultModel ?? basis?.DefaultModel,
            Description = spec.Description ?? basis?.Description ?? $"{protocol} endpoint {baseUrl}",
        };
    }
}
