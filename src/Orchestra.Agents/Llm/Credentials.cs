using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core;

namespace Orchestra.Agents.Llm;

/// <summary>Where a profile's key comes from.</summary>
public enum KeySource
{
    /// <summary>No key.</summary>
    None,
    /// <summary>The profile's environment variable.</summary>
    Environment,
    /// <summary>The user's credentials file, written by <c>orchestra auth login</c>.</summary>
    Stored,
}

/// <summary>An API key with where it came from. <see cref="ToString"/> masks it, so it cannot leak by accident.</summary>
public sealed class ApiKey
{
    /// <summary>Creates a key.</summary>
    public ApiKey(string value, KeySource source)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        Value = value;
        Source = source;
    }

    /// <summary>The secret. Pass it to the SDK only.</summary>
    public string Value { get; }

    /// <summary>Where it came from.</summary>
    public KeySource Source { get; }

    /// <summary>The key with everything but its last four characters hidden.</summary>
    public string Masked => Mask(Value);

    /// <summary>Hides all but the last four characters of <paramref name="secret"/> (all of a short one).</summary>
    public static string Mask(string secret) => secret.Length <= 8 ? "****" : "****" + secret[^4..];

    /// <inheritdoc />
    public override string ToString() => Masked;
}

/// <summary>
/// API keys: a profile's environment variable first, then the user's credentials file (mode 0600). Keys are
/// never written anywhere else.
/// </summary>
public sealed class CredentialStore(string path)
{
    /// <summary>The store in the user's configuration directory.</summary>
    public static CredentialStore User => new(UserConfig.CredentialsFile);

    /// <summary>The credentials file.</summary>
    public string Path { get; } = path;

    /// <summary>The key of <paramref name="profile"/>, or null when it has none.</summary>
    public ApiKey? Find(ProviderProfile profile)
    {
        if (profile.ApiKeyEnv is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnv)
            return new ApiKey(fromEnv, KeySource.Environment);
        return ReadAll().TryGetValue(profile.Name, out var stored) ? new ApiKey(stored, KeySource.Stored) : null;
    }

    /// <summary>The key of <paramref name="profile"/>.</summary>
    /// <exception cref="OrchestraException">The profile needs a key and has none; the message says how to give one.</exception>
    public ApiKey? Require(ProviderProfile profile)
    {
        var key = Find(profile);
        if (key is null && profile.RequiresKey)
            throw new OrchestraException(MissingKeyMessage(profile));
        return key;
    }

    /// <summary>The one-line message for a missing key.</summary>
    public static string MissingKeyMessage(ProviderProfile profile) =>
        profile.ApiKeyEnv is { } v
            ? $"no API key for provider '{profile.Name}': set {v} or run 'orchestra auth login {profile.Name}'."
            : $"no API key for provider '{profile.Name}': run 'orchestra auth login {profile.Name}' or set 'api_key_env:' in its profile.";

    /// <summary>Stores <paramref name="key"/> for <paramref name="profileName"/>, replacing the file atomically with one only its owner can read.</summary>
    public void Save(string profileName, string key)
    {
        var all = ReadAll();
        all[profileName] = key;
        Write(all);
    }

    /// <summary>Forgets the stored key of <paramref name="profileName"/>; true when there was one.</summary>
    public bool Remove(string profileName)
    {
        var all = ReadAll();
        if (!all.Remove(profileName))
            return false;
        Write(all);
        return true;
    }

    /// <summary>The names of the profiles with a stored key.</summary>
    public IReadOnlyCollection<string> StoredProfiles => ReadAll().Keys;

    private Dictionary<string, string> ReadAll()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return result;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OrchestraException($"cannot read {Path}: {ex.Message}", ErrorKind.Environment);
        }
        try
        {
            if (JsonNode.Parse(text) is JsonObject obj)
            {
                foreach (var (name, value) in obj)
                {
                    if (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
                        result[name] = s;
                }
                return result;
            }
        }
        catch (JsonException)
        {
        }
        // The message never quotes the file: it holds secrets.
        throw new OrchestraException($"{Path} is not a JSON object of provider names to keys: fix or delete it, then run 'orchestra auth login'.", ErrorKind.Environment);
    }

    private void Write(Dictionary<string, string> all)
    {
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        var obj = new JsonObject();
        foreach (var (name, key) in all.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            obj[name] = key;
        var temp = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            obj.WriteTo(writer);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, Path, overwrite: true);
    }
}
