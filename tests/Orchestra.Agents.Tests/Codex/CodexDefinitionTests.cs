using Orchestra.Agents.Codex;
using Orchestra.Core;
using Orchestra.Workspace;

namespace Orchestra.Agents.Tests.Codex;

/// <summary><c>kind: codex</c> definitions read from <c>.orchestra/agents/*.yaml</c>.</summary>
public sealed class CodexDefinitionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "orchestra-codex-def-" + Guid.NewGuid().ToString("N"));

    public CodexDefinitionTests() => Directory.CreateDirectory(Path.Combine(_root, ".orchestra", "agents"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_root, ".orchestra", "agents", "coder.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private CodexAgent Build() => Assert.IsType<CodexAgent>(OrchestraWorkspace.At(_root).Agents.Get("coder"));

    private OrchestraException Fails() => Assert.Throws<OrchestraException>(() => OrchestraWorkspace.At(_root).Agents.Get("coder"));

    [Fact]
    public void EveryField_IsReadInSnakeCase()
    {
        Write("""
            kind: codex
            description: writes tests
            executable: /opt/codex/bin/codex
            env:
              RUST_LOG: warn
            model: gpt-4.1
            sandbox: danger-full-access
            output_schema:
              type: object
              properties:
                summary: { type: string }
            profile: fast
            config:
              - model_reasoning_effort="high"
            base_url: http://127.0.0.1:8080/v1
            api_key_env: LOCAL_KEY
            user_config: false
            skip_git_repo_check: true
            idle_timeout: 90s
            grace_period: 1s
            max_concurrency: 2
            """);

        var agent = Build();
        var o = agent.Options;

        Assert.Equal("/opt/codex/bin/codex", o.Executable);
        Assert.Equal("warn", o.Env["RUST_LOG"]);
        Assert.Equal("gpt-4.1", o.Model);
        Assert.Equal(CodexSandbox.DangerFullAccess, o.Sandbox);
        Assert.Equal("object", (string?)o.OutputSchema!["type"]);
        Assert.Equal("fast", o.Profile);
        Assert.Equal(["model_reasoning_effort=\"high\""], o.Config);
        Assert.Equal("http://127.0.0.1:8080/v1", o.BaseUrl);
        Assert.Equal("LOCAL_KEY", o.ApiKeyEnv);
        Assert.False(o.UserConfig);
        Assert.True(o.SkipGitRepoCheck);
        Assert.Equal(TimeSpan.FromSeconds(90), o.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), o.GracePeriod);
        Assert.Equal(2, agent.MaxConcurrency);
        Assert.True(agent.IsDetached);
    }

    [Fact]
    public void Defaults_RunCodexFromPath_InAWritableSandbox_WithAWatchdog()
    {
        Write("kind: codex\n");

        var o = Build().Options;

        Assert.Equal("codex", o.Executable);
        Assert.Equal(CodexSandbox.WorkspaceWrite, o.Sandbox);
        Assert.True(o.UserConfig);
        Assert.False(o.SkipGitRepoCheck);
        Assert.Equal(TimeSpan.FromMinutes(30), o.IdleTimeout);
    }

    [Fact]
    public void AnUnknownSandbox_IsRefusedWithItsPosition()
    {
        var path = Write("kind: codex\nsandbox: everything\n");

        var ex = Fails();

        Assert.StartsWith($"{path}:2:", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("expected one of: read-only, workspace-write, danger-full-access.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownKey_ListsTheKnownOnes()
    {
        Write("kind: codex\nmodle: gpt-4.1\n");

        var ex = Fails();

        Assert.Contains("unknown key 'modle'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("skip_git_repo_check", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api_key_env: KEY\n", 2, "`api_key_env:` needs `base_url:`")]
    [InlineData("base_url: not a url\n", 2, "`base_url:` 'not a url' is not an http(s) URL")]
    [InlineData("config: [\"no-equals-sign\"]\n", 2, "`config:` 'no-equals-sign' is not key=value")]
    [InlineData("idle_timeout: -5s\n", 2, "")]
    [InlineData("output_schema: { type: 12 }\n", 2, "`output_schema:`")]
    public void InvalidFields_AreRefusedAtTheirLine(string field, int line, string message)
    {
        var path = Write("kind: codex\n" + field);

        var ex = Fails();

        Assert.StartsWith($"{path}:{line}:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Codex_IsAKnownKind()
    {
        Assert.Contains("codex", AgentKinds.Names);
    }
}
