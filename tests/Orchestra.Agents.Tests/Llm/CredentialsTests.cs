using Orchestra.Agents.Llm;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Llm;

public sealed class CredentialsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orchestra-cred-").FullName;
    private readonly string _variable = "ORCHESTRA_TEST_KEY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        Directory.Delete(_dir, recursive: true);
    }

    private ProviderProfile Profile => BuiltInProfiles.OpenAi with { Name = "test", ApiKeyEnv = _variable };

    private CredentialStore Store => new(Path.Combine(_dir, "cfg", "credentials.json"));

    [Fact]
    public void A_stored_key_is_written_readable_by_its_owner_only()
    {
        Store.Save("test", "sk-stored-0123456789abcdef");

        var key = Store.Find(Profile);

        Assert.Equal("sk-stored-0123456789abcdef", key!.Value);
        Assert.Equal(KeySource.Stored, key.Source);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Store.Path));
    }

    [Fact]
    public void The_environment_variable_wins_over_the_stored_key()
    {
        Store.Save("test", "sk-stored-0123456789abcdef");
        Environment.SetEnvironmentVariable(_variable, "sk-env-0123456789abcdef");

        var key = Store.Find(Profile);

        Assert.Equal(KeySource.Environment, key!.Source);
        Assert.Equal("sk-env-0123456789abcdef", key.Value);
    }

    [Fact]
    public void A_missing_key_names_the_variable_and_auth_login()
    {
        var ex = Assert.Throws<OrchestraException>(() => Store.Require(Profile));

        Assert.Equal($"no API key for provider 'test': set {_variable} or run 'orchestra auth login test'.", ex.Message);
    }

    [Fact]
    public void A_keyless_profile_needs_no_key()
    {
        Assert.Null(Store.Require(BuiltInProfiles.Local));
    }

    [Fact]
    public void Removing_a_key_forgets_it()
    {
        Store.Save("test", "sk-stored-0123456789abcdef");

        Assert.True(Store.Remove("test"));
        Assert.False(Store.Remove("test"));
        Assert.Null(Store.Find(Profile));
    }

    [Fact]
    public void A_corrupt_credentials_file_is_reported_without_quoting_it()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Store.Path)!);
        File.WriteAllText(Store.Path, "sk-secret-canary-0123456789 not json");

        var ex = Assert.Throws<OrchestraException>(() => Store.Find(Profile));

        Assert.DoesNotContain("canary", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a JSON object", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_print_masked()
    {
        var key = new ApiKey("sk-abcdefghijklmnop1234", KeySource.Stored);

        Assert.Equal("****1234", key.ToString());
        Assert.Equal("****", ApiKey.Mask("short"));
    }

    [Fact]
    public void Registered_secrets_and_key_shaped_tokens_are_redacted()
    {
        Secrets.Register("canary-secret-value-42");

        Assert.Equal("token [redacted] here", Secrets.Redact("token canary-secret-value-42 here"));
        Assert.Equal("bad key [redacted]", Secrets.Redact("bad key sk-proj-AbCdEfGhIjKlMnOp"));
        Assert.Equal("Authorization: Bearer [redacted]", Secrets.Redact("Authorization: Bearer abcdefghijklmnopqrstu"));
        Assert.Equal("plain text", Secrets.Redact("plain text"));
    }
}
