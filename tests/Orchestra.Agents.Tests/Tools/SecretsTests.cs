using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

/// <summary>A canary in the orchestrator's environment must never reach a tool's process, result or error.</summary>
public sealed class SecretsTests : ToolTestBase
{
    private const string CanaryName = "ORCHESTRA_TOOLS_CANARY_API_KEY";
    private static readonly string Canary = "canary-" + Guid.NewGuid().ToString("N");

    static SecretsTests() => Environment.SetEnvironmentVariable(CanaryName, Canary);

    [Fact]
    public async Task CommandsGetAMinimalEnvironment()
    {
        var box = await BoxAsync(Options(ToolPermission.Run, ["run_command"], ["env"]));

        var text = await OkAsync(box, "run_command", """{"argv": ["env"]}""");

        Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
        Assert.DoesNotContain(CanaryName, text, StringComparison.Ordinal);
        var names = text.Split('\n').Skip(2).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]).ToHashSet();
        Assert.Subset(new HashSet<string>(["PATH", "HOME", "LANG"]), names);
    }

    [Fact]
    public async Task ShellToolsGetAMinimalEnvironmentPlusWhatTheyDeclare()
    {
        var tool = new ShellToolDefinition
        {
            Name = "show_env",
            Command = ["env"],
            Environment = new Dictionary<string, string> { ["MODE"] = "ci", ["TOKEN_FOR_TOOL"] = $"${{{CanaryName}}}" },
        };
        var box = await BoxAsync(Options(tools: ["show_env"]) with { ShellTools = [tool] });

        var text = await OkAsync(box, "show_env");

        Assert.Contains("MODE=ci", text, StringComparison.Ordinal);
        // Handed on through ${NAME} on purpose, so the process sees it, but the result never shows it.
        Assert.Contains("TOKEN_FOR_TOOL=[redacted]", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
        Assert.DoesNotContain($"{CanaryName}=", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResultsThatContainASecretAreRedacted()
    {
        Write("leak.txt", $"key = {Canary}\n");
        var box = await BoxAsync(Options());

        var read = await OkAsync(box, "read_file", """{"path": "leak.txt", "line_numbers": false}""");
        var found = await OkAsync(box, "search_code", """{"pattern": "key"}""");

        Assert.Equal("key = [redacted]\n", read);
        Assert.Equal("leak.txt:1: key = [redacted]\n", found);
    }

    [Fact]
    public async Task ErrorsThatContainASecretAreRedacted()
    {
        var box = await BoxAsync(Options());

        var text = await ErrorAsync(box, "read_file", $$"""{"path": "{{Canary}}.txt"}""");

        Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
        Assert.StartsWith("error: file '[redacted].txt' not found", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyCredentialLikeNamesAreTreatedAsSecrets()
    {
        Assert.True(SecretRedactor.LooksSecret("OPENAI_API_KEY"));
        Assert.True(SecretRedactor.LooksSecret("GITHUB_TOKEN"));
        Assert.True(SecretRedactor.LooksSecret("ORCHESTRA_STORE"));
        Assert.True(SecretRedactor.LooksSecret("db_password"));
        Assert.False(SecretRedactor.LooksSecret("PATH"));
        Assert.False(SecretRedactor.LooksSecret("HOME"));
        Assert.Equal("short x", new SecretRedactor(["short"]).Redact("short x"));
    }

    [Fact]
    public void AReferenceToAnUnsetVariableIsAConfigurationError()
    {
        var ex = Assert.Throws<Orchestra.Core.OrchestraException>(() =>
            ChildEnvironment.Build(new Dictionary<string, string> { ["X"] = "${ORCHESTRA_TOOLS_NOT_SET_ANYWHERE}" }));

        Assert.Contains("refers to ${ORCHESTRA_TOOLS_NOT_SET_ANYWHERE}, which is not set", ex.Message, StringComparison.Ordinal);
    }
}
