using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Orchestra.Agents.Processes;
using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Tests.Tools;

/// <summary>A temporary workspace, helpers to call tools as a model would, and cleanup (by pid) of every process a tool started.</summary>
public abstract class ToolTestBase : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly List<ProcessIdentity> _processes = [];
    private readonly List<ToolBox> _boxes = [];
    private readonly List<string> _directories = [];

    protected ToolTestBase()
    {
        Root = NewDirectory("ws");
    }

    /// <summary>The workspace root, as created (not canonicalized).</summary>
    protected string Root { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var box in _boxes)
            await box.DisposeAsync();
        List<ProcessIdentity> processes;
        lock (_processes)
            processes = [.. _processes];
        foreach (var p in processes)
        {
            if (ProcessProbe.IsAlive(p))
                _ = Libc.kill(p.Pid, Libc.SIGKILL);
        }
        foreach (var directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A new empty temporary directory, deleted after the test.</summary>
    protected string NewDirectory(string label)
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestra-tools-{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        _directories.Add(path);
        return path;
    }

    /// <summary>Remembers a process for teardown.</summary>
    protected void Track(int pid)
    {
        lock (_processes)
            _processes.Add(new ProcessIdentity(pid, ProcessProbe.StartTime(pid) ?? 0));
    }

    /// <summary>Writes a file under the workspace root (creating directories) and returns its full path.</summary>
    protected string Write(string relative, string content)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Options for the workspace with the process hook set.</summary>
    protected ToolOptions Options(ToolPermission permission = ToolPermission.Read, IReadOnlyList<string>? tools = null, IReadOnlyList<string>? allowed = null) =>
        ToolOptions.ForDirectory(Root) with
        {
            Permission = permission,
            Tools = tools,
            AllowedCommands = allowed ?? [],
            ProcessStarted = Track,
        };

    /// <summary>A tool box, disposed after the test.</summary>
    protected async Task<ToolBox> BoxAsync(ToolOptions options)
    {
        var box = await ToolBox.CreateAsync(options with { ProcessStarted = options.ProcessStarted ?? Track });
        _boxes.Add(box);
        return box;
    }

    /// <summary>Calls <paramref name="tool"/> with arguments written as a JSON object, as a provider would send them.</summary>
    protected static Task<ToolCallResult> CallAsync(ToolBox box, string tool, string json = "{}", CancellationToken cancellationToken = default) =>
        box.InvokeAsync(new FunctionCallContent("call-1", tool, Arguments(json)), cancellationToken);

    /// <summary>A successful call's text; fails the test with the error otherwise.</summary>
    protected static async Task<string> OkAsync(ToolBox box, string tool, string json = "{}")
    {
        var result = await CallAsync(box, tool, json);
        Assert.False(result.IsError, result.Text);
        return result.Text;
    }

    /// <summary>A failed call's text, which starts with <c>error:</c>.</summary>
    protected static async Task<string> ErrorAsync(ToolBox box, string tool, string json = "{}")
    {
        var result = await CallAsync(box, tool, json);
        Assert.True(result.IsError, "expected an error, got: " + result.Text);
        Assert.StartsWith("error: ", result.Text, StringComparison.Ordinal);
        return result.Text;
    }

    /// <summary>The arguments of a JSON object as the chat clients produce them: name → <see cref="JsonElement"/>.</summary>
    protected static Dictionary<string, object?> Arguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
    }

    /// <summary>The canonical root, as tools print it.</summary>
    protected string CanonicalRoot => new WorkspaceRoot(Root).FullPath;

    /// <summary>Polls a condition in a bounded loop (fails only if it never holds).</summary>
    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bound)
                Assert.Fail($"gave up waiting: {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Runs git in <paramref name="directory"/> (argv only) and fails the test if it fails.</summary>
    protected static void Git(string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)} failed: {error.Result}");
    }
}
