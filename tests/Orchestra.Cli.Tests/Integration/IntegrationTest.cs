using System.Text;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>
/// A temporary workspace driven through the built command, with every process a test learns about killed by pid at
/// the end, whether the test passed or not.
/// </summary>
public abstract class IntegrationTest : IDisposable
{
    /// <summary>Longest wait for anything another process does; far beyond what a healthy run needs.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    protected IntegrationTest()
    {
        Watch = new ProcessWatch(Cli.Root);
    }

    private protected CliHarness Cli { get; } = new();

    private protected ProcessWatch Watch { get; }

    public void Dispose()
    {
        Watch.Dispose();
        Cli.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected CliResult Ok(params string[] args)
    {
        var r = Cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    /// <summary><c>orchestra init</c>, with retries after a few milliseconds instead of seconds.</summary>
    private protected void Init()
    {
        Ok("init");
        Cli.WriteFile(".orchestra/config.yaml", """
            parallel: 4
            retry:
              base_delay: 20ms
              max_delay: 200ms
            """);
    }

    /// <summary>A scripted agent that answers every prompt after <paramref name="delay"/>.</summary>
    private protected void ScriptedAgent(string name, string delay) =>
        Cli.WriteFile($".orchestra/agents/{name}.yaml", $"""
            kind: scripted
            responses:
              - output: "done {"{prompt}"}"
                delay: {delay}
            """);

    /// <summary>A cli agent running <c>/bin/sh <paramref name="script"/> {step_id}</c> in the workspace.</summary>
    private protected void ShellAgent(string name, string script, string body)
    {
        Cli.WriteFile(script, body.ReplaceLineEndings("\n") + "\n");
        Cli.WriteFile($".orchestra/agents/{name}.yaml", $"""
            kind: cli
            command: ["/bin/sh", "{script}", "{"{step_id}"}"]
            """);
    }

    /// <summary>A plan of <paramref name="count"/> independent tasks.</summary>
    private protected static string IndependentPlan(int count, string agent)
    {
        var plan = new StringBuilder("tasks:\n");
        for (var i = 0; i < count; i++)
            plan.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - {{ id: t{i}, agent: {agent}, prompt: p{i} }}\n");
        return plan.ToString();
    }

    private protected string InRoot(string relative) => Path.Combine(Cli.Root, relative);
}
