using Orchestra.Agents.Processes;
using Orchestra.Agents.Tools;
using Orchestra.Core;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Agents.Tests.Tools;

public sealed class RunCommandToolTests : ToolTestBase
{
    private ToolOptions Run(params string[] allowed) => Options(ToolPermission.Run, [BuiltInToolNames.RunCommand], allowed);

    [Fact]
    public async Task RunsAnAllowedCommandWithoutAShell()
    {
        var box = await BoxAsync(Run("echo"));

        var text = await OkAsync(box, "run_command", """{"argv": ["echo", "$(whoami) ; rm -rf / | cat", "*"]}""");

        Assert.Equal("exit code 0\n--- stdout ---\n$(whoami) ; rm -rf / | cat *\n", text);
    }

    [Fact]
    public async Task RunsInTheWorkspaceRootWithStandardInputClosed()
    {
        var box = await BoxAsync(Run("pwd", "cat"));

        Assert.Equal($"exit code 0\n--- stdout ---\n{CanonicalRoot}\n", await OkAsync(box, "run_command", """{"argv": ["pwd"]}"""));
        Assert.Equal("exit code 0\n", await OkAsync(box, "run_command", """{"argv": ["cat"]}"""));
    }

    [Fact]
    public async Task ACommandNotOnTheAllowListIsRefused()
    {
        var box = await BoxAsync(Run("echo", "dotnet"));

        Assert.Equal("error: command 'rm' is not allowed; allowed commands: dotnet, echo",
            await ErrorAsync(box, "run_command", """{"argv": ["rm", "-rf", "."]}"""));
        Assert.Equal("error: command '/bin/echo' is not allowed; allowed commands: dotnet, echo",
            await ErrorAsync(box, "run_command", """{"argv": ["/bin/echo", "x"]}"""));
        Assert.StartsWith("error: argv is empty", await ErrorAsync(box, "run_command", """{"argv": []}"""), StringComparison.Ordinal);
        Assert.Equal("error: argument 'argv' of run_command must be a list of strings", await ErrorAsync(box, "run_command", """{"argv": "echo hi"}"""));
    }

    [Fact]
    public async Task ANonZeroExitIsAnErrorThatKeepsTheOutput()
    {
        var box = await BoxAsync(Run("sh"));

        var text = await ErrorAsync(box, "run_command", """{"argv": ["sh", "-c", "echo out; echo err >&2; exit 3"]}""");

        Assert.Equal("error: exit code 3\n--- stdout ---\nout\n--- stderr ---\nerr\n", text);
    }

    [Fact]
    public async Task AProgramThatIsNotInstalledIsAnError()
    {
        var box = await BoxAsync(Run("no-such-program-orchestra"));

        Assert.Equal("error: command 'no-such-program-orchestra' was not found on PATH",
            await ErrorAsync(box, "run_command", """{"argv": ["no-such-program-orchestra"]}"""));
    }

    [Fact]
    public async Task OutputIsCappedAndTheResultSaysSo()
    {
        var box = await BoxAsync(Run("seq") with { MaxOutputBytes = 1024 });

        var text = await OkAsync(box, "run_command", """{"argv": ["seq", "1", "100000"]}""");

        Assert.Contains("[output was cut", text, StringComparison.Ordinal);
        Assert.True(text.Length < 1200, $"{text.Length} characters");
    }

    [Fact]
    public async Task OnTimeoutTheWholeProcessTreeIsKilled()
    {
        var clock = new FakeTimeProvider();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pidFile = Path.Combine(Root, "child.pid");
        var options = Run("sh") with
        {
            TimeProvider = clock,
            CommandTimeout = TimeSpan.FromSeconds(30),
            ProcessStarted = pid =>
            {
                Track(pid);
                started.TrySetResult(pid);
            },
        };
        var box = await BoxAsync(options);

        var call = CallAsync(box, "run_command", $$"""{"argv": ["sh", "-c", "sleep 300 & echo $! > child.pid; wait"]}""");
        var shell = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the child's pid file");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Track(child);
        clock.Advance(TimeSpan.FromSeconds(30));
        var result = await call.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.IsError);
        Assert.StartsWith("error: timed out after 30.0s; the command and its child processes were killed", result.Text, StringComparison.Ordinal);
        Assert.Null(ProcessProbe.Read(shell));
        await WaitUntilAsync(() => ProcessProbe.Read(child) is null or { HasExited: true }, "the grandchild to die");
    }

    [Fact]
    public async Task CancellationKillsTheProcessAndThrows()
    {
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var box = await BoxAsync(Run("sleep") with
        {
            ProcessStarted = pid =>
            {
                Track(pid);
                started.TrySetResult(pid);
            },
        });
        using var cancel = new CancellationTokenSource();

        var call = CallAsync(box, "run_command", """{"argv": ["sleep", "300"]}""", cancel.Token);
        var pid = await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Null(ProcessProbe.Read(pid));
    }

    [Fact]
    public async Task NeedsRunPermissionAndAnAllowList()
    {
        var withoutRun = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(Options(ToolPermission.Write, [BuiltInToolNames.RunCommand], ["echo"])));
        var withoutList = await Assert.ThrowsAsync<OrchestraException>(() => ToolBox.CreateAsync(Options(ToolPermission.Run, [BuiltInToolNames.RunCommand])));

        Assert.Contains("needs permission 'run' but the agent has 'write'", withoutRun.Message, StringComparison.Ordinal);
        Assert.Contains("no allowed commands", withoutList.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDescriptionListsTheAllowedCommands()
    {
        var box = await BoxAsync(Run("git", "dotnet"));

        Assert.Contains("Allowed programs: dotnet, git.", box.Functions.Single().Description, StringComparison.Ordinal);
    }
}
