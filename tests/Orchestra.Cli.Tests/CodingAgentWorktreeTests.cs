using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestra.Agents.Tests.ClaudeCode;
using Orchestra.Agents.Tests.Codex;
using Orchestra.FakeProvider;

namespace Orchestra.Cli.Tests;

/// <summary>
/// The real, pinned Claude Code and Codex CLIs as steps in their own git worktrees, through the command a user types:
/// <c>start --worktree</c>, <c>run --until-idle</c>, <c>diff</c>, <c>merge</c>. The fake provider on 127.0.0.1 scripts a
/// file write and a final answer.
/// </summary>
public sealed class CodingAgentWorktreeTests : IAsyncLifetime
{
    private const string KeyVariable = "ORCHESTRA_TEST_FAKE_KEY";
    private const string Key = "fake-key-5e2a7c41";
    private readonly CliHarness _cli = new();
    private readonly string _home = Directory.CreateTempSubdirectory("orchestra-cli-home-").FullName;
    private FakeProviderServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RequiredApiKey = Key });
        TestGit.Isolate(_cli);
    }

    public async Task DisposeAsync()
    {
        // Every command has exited by now (the harness waits for each), so no CLI still talks to the server.
        await _server.DisposeAsync();
        _cli.Dispose();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private string GitOk(params string[] args) => TestGit.Ok(_cli, args);

    /// <summary>A repository holding a workspace with one agent (and optionally prices), all committed.</summary>
    private void InitRepository(string agent, string yaml, string? prices = null) => InitRepository([(agent, yaml)], prices);

    private void InitRepository((string Agent, string Yaml)[] agents, string? prices = null)
    {
        GitOk("init", "--quiet", "--initial-branch=main");
        Ok("init");
        foreach (var (agent, yaml) in agents)
            _cli.WriteFile($".orchestra/agents/{agent}.yaml", yaml);
        if (prices is not null)
            File.AppendAllText(Path.Combine(_cli.StateDir, "config.yaml"), "prices:\n  " + prices + "\n");
        GitOk("add", "-A");
        GitOk("commit", "--quiet", "-m", "workspace");
    }

    private JsonObject StepJson(string step) =>
        (JsonObject)Ok("status", "--all", "--json").Json().AsArray().Single(s => (string?)s!["id"] == step)!;

    /// <summary>The run's events in order: the step they belong to, their type, and the agent event's kind.</summary>
    private List<(string? Step, string Type, JsonObject? Data)> Events(string run)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_cli.StateDir, "orchestra.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT step_id, type, data FROM events WHERE run_id = $run ORDER BY seq";
        command.Parameters.AddWithValue("$run", run);
        using var reader = command.ExecuteReader();
        var events = new List<(string?, string, JsonObject?)>();
        while (reader.Read())
            events.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : JsonNode.Parse(reader.GetString(2)) as JsonObject));
        return events;
    }

    private List<string> AgentEventKinds(string run, string step) =>
        Events(run).Where(e => e.Step == step && e.Type == "agent").Select(e => (string)e.Data!["kind"]!).ToList();

    /// <summary>
    /// What every coding agent's isolated step leaves: the file in its worktree and committed on its branch (a commit
    /// naming step and agent), the output and a cost recorded, nothing in the user's working tree, every event of the
    /// run the step's, then a diff that shows the file and a merge that brings it into the session branch.
    /// </summary>
    private void AssertIsolatedWork(string step, string run, string agent, string file, string content, string output)
    {
        var worktree = Path.Combine(_cli.StateDir, "worktrees", run, step);
        var branch = $"orchestra/{run}-{step}";
        Assert.Equal(content, File.ReadAllText(Path.Combine(worktree, file)));
        Assert.Equal(content.TrimEnd('\n'), GitOk("show", $"{branch}:{file}"));
        Assert.Equal($"orchestra: {agent} ({agent}) [run {run}, step {step}]", GitOk("log", "-1", "--format=%s", branch));
        Assert.Equal("", GitOk("status", "--porcelain", "--", file));
        Assert.False(File.Exists(Path.Combine(_cli.Root, file)));

        var json = StepJson(step);
        Assert.Equal("succeeded", (string?)json["status"]);
        Assert.True((decimal)json["usage"]!["cost_usd"]! > 0, "the step's cost is recorded");
        Assert.True((long)json["usage"]!["input_tokens"]! > 0);
        Assert.Equal(output, (string?)Ok("status", step, "--json").Json()["output"]);

        var events = Events(run);
        Assert.All(events, e => Assert.True(e.Step is null || e.Step == step, $"event {e.Type} belongs to {e.Step}, not {step}"));
        var snapshot = events.Single(e => e.Type == "step.snapshot").Data!;
        Assert.Equal(GitOk("rev-parse", branch), (string?)snapshot["snapshot"]!["."]);

        var diff = Ok("diff", step).Out;
        Assert.Contains($"+++ b/{file}", diff, StringComparison.Ordinal);
        Assert.Contains("+" + content.TrimEnd('\n'), diff, StringComparison.Ordinal);
        Assert.Contains($"merged {step} ({agent}) into orchestra/{run}", Ok("merge", step).Out, StringComparison.Ordinal);
        Assert.Equal(content.TrimEnd('\n'), GitOk("show", $"orchestra/{run}:{file}"));
        Assert.False(Directory.Exists(worktree));
    }

    private string ClaudeYaml() => $$"""
            kind: claude-code
            description: Claude Code against the fake provider
            executable: {{ClaudeCli.Locate()}}
            model: claude-sonnet-4-5
            idle_timeout: 2m
            grace_period: 3s
            env:
              ANTHROPIC_BASE_URL: {{_server.AnthropicBaseUrl.ToString().TrimEnd('/')}}
              ANTHROPIC_API_KEY: {{Key}}
              CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1"
              CLAUDE_CODE_MAX_RETRIES: "0"
              DISABLE_AUTOUPDATER: "1"
              HOME: {{_home}}
              CLAUDE_CONFIG_DIR: {{Path.Combine(_home, ".claude")}}
            """;

    private static async Task<string> CodexYamlAsync(FakeProviderServer server) => $$"""
            kind: codex
            description: Codex against the fake provider
            executable: {{await CodexCli.RequireAsync()}}
            model: fake-model
            base_url: {{server.OpenAiBaseUrl}}
            api_key_env: {{KeyVariable}}
            env:
              {{KeyVariable}}: {{Key}}
            user_config: false
            idle_timeout: 2m
            grace_period: 2s
            config:
              - model_providers.orchestra.request_max_retries=0
              - model_providers.orchestra.stream_max_retries=0
            """;

    private const string CodexPrices = "fake-model: { input: 2.00, output: 8.00, cached_input: 0.50 }";

    /// <summary>Scripts Claude Code's turn for the queued step: a Write of hello.txt into its worktree, then the answer.</summary>
    private string ScriptClaude(string step)
    {
        var run = (string)StepJson(step)["run"]!;
        var worktree = Path.Combine(_cli.StateDir, "worktrees", run, step);
        // The worktree's path is known once the step is queued: the model writes there, as Claude Code would.
        _server.Enqueue(FakeReply.When(r => r.LastUserText.Contains("create the file", StringComparison.Ordinal) && r.ToolNames.Count > 0 && r.LastToolResultText is null) with
        {
            ToolCalls = [new FakeToolCall("Write", new JsonObject { ["file_path"] = Path.Combine(worktree, "hello.txt"), ["content"] = "hello from claude\n" }.ToJsonString())],
        });
        _server.Enqueue(FakeReply.When(r => r.Protocol == ProviderProtocol.AnthropicMessages && r.LastToolResultText is not null) with { Text = "I created hello.txt.", Usage = new FakeUsage(1200, 30) });
        return run;
    }

    /// <summary>Scripts Codex's turn: an apply_patch adding notes/hello.txt (relative to its worktree), then the answer.</summary>
    private void ScriptCodex()
    {
        const string patch = "*** Begin Patch\n*** Add File: notes/hello.txt\n+hello from codex\n*** End Patch\n";
        _server.Enqueue(FakeReply.When(r => r.Path.EndsWith("/responses", StringComparison.Ordinal) && r.LastToolResultText is null && r.ToolNames.Contains("exec_command")) with
        {
            ToolCalls = [new FakeToolCall("exec_command", new JsonObject { ["cmd"] = $"apply_patch <<'EOF'\n{patch}EOF\n" }.ToJsonString())],
            Usage = new FakeUsage(1000, 20),
        });
        _server.Enqueue(FakeReply.When(r => r.Path.EndsWith("/responses", StringComparison.Ordinal) && r.LastToolResultText is not null) with
        {
            Text = "Created notes/hello.txt.",
            Usage = new FakeUsage(1200, 30),
        });
    }

    [ClaudeCliFact]
    public void ClaudeCode_StartedWithWorktree_WritesInItsWorktree_CommitsOnItsBranch_AndMergesIntoTheSession()
    {
        InitRepository("claude", ClaudeYaml());
        var step = Ok("start", "claude", "Please create the file hello.txt", "--worktree").Out.Trim();
        var run = ScriptClaude(step);
        var worktree = Path.Combine(_cli.StateDir, "worktrees", run, step);

        Ok("run", "--until-idle");

        var kinds = AgentEventKinds(run, step);
        foreach (var kind in (string[])["process.started", "init", "tool_call", "permission", "tool_result", "result"])
            Assert.Contains(kind, kinds);
        var init = Events(run).First(e => e.Type == "agent" && (string?)e.Data!["kind"] == "init").Data!;
        Assert.Equal(worktree, (string?)init["cwd"]);
        var permission = Events(run).First(e => e.Type == "agent" && (string?)e.Data!["kind"] == "permission").Data!;
        Assert.Equal("allow", (string?)permission["decision"]);
        Assert.True(Directory.Exists(Path.Combine(_cli.StateDir, "claude", step)), "the step has its own CLAUDE_CONFIG_DIR");
        AssertIsolatedWork(step, run, "claude", "hello.txt", "hello from claude\n", "I created hello.txt.");
    }

    [CodexFact]
    public async Task Codex_StartedWithWorktree_WritesInItsWorktree_CommitsOnItsBranch_AndMergesIntoTheSession()
    {
        InitRepository("codex", await CodexYamlAsync(_server), prices: CodexPrices);
        ScriptCodex();
        var step = Ok("start", "codex", "Create notes/hello.txt saying hello.", "--worktree").Out.Trim();
        var run = (string)StepJson(step)["run"]!;

        Ok("run", "--until-idle");

        var kinds = AgentEventKinds(run, step);
        foreach (var kind in (string[])["process.started", "session.started", "file_change", "message", "usage"])
            Assert.Contains(kind, kinds);
        Assert.True(Directory.Exists(Path.Combine(_cli.StateDir, "codex", step)), "the step has its own CODEX_HOME");
        AssertIsolatedWork(step, run, "codex", "notes/hello.txt", "hello from codex\n", "Created notes/hello.txt.");
    }

    [BothCliFact]
    public async Task ClaudeCodeAndCodex_RunInParallel_EachInItsOwnWorktree_AndBothMerge()
    {
        InitRepository([("claude", ClaudeYaml()), ("codex", await CodexYamlAsync(_server))], prices: CodexPrices);
        var claude = Ok("start", "claude", "Please create the file hello.txt", "--worktree").Out.Trim();
        var codex = Ok("start", "codex", "Create notes/hello.txt saying hello.", "--worktree").Out.Trim();
        var claudeRun = ScriptClaude(claude);
        var codexRun = (string)StepJson(codex)["run"]!;
        ScriptCodex();

        Ok("run", "--parallel", "2", "--until-idle");

        // Each step's worktree holds its own file only: neither saw the other's half-finished work.
        Assert.False(File.Exists(Path.Combine(_cli.StateDir, "worktrees", claudeRun, claude, "notes", "hello.txt")));
        Assert.False(File.Exists(Path.Combine(_cli.StateDir, "worktrees", codexRun, codex, "hello.txt")));
        Assert.NotEqual(
            (string?)Events(claudeRun).First(e => e.Type == "agent" && (string?)e.Data!["kind"] == "process.started").Data!["config_dir"],
            (string?)Events(codexRun).First(e => e.Type == "agent" && (string?)e.Data!["kind"] == "process.started").Data!["codex_home"]);
        AssertIsolatedWork(claude, claudeRun, "claude", "hello.txt", "hello from claude\n", "I created hello.txt.");
        AssertIsolatedWork(codex, codexRun, "codex", "notes/hello.txt", "hello from codex\n", "Created notes/hello.txt.");
    }
}

/// <summary>A test that needs both pinned CLIs: skipped, with the way to install them, where either cannot run.</summary>
public sealed class BothCliFactAttribute : FactAttribute
{
    public BothCliFactAttribute()
    {
        Skip = ClaudeCli.SkipReason() ?? CodexCli.SkipReason;
    }
}
