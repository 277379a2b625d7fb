using System.Globalization;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.Tests.Cli;

/// <summary>Processes started with pipes on standard input and output, and stopping trees that left their group.</summary>
public sealed class ProcessPipesTests : CliTestBase
{
    private (ProcessIdentity Process, StreamWriter Input, StreamReader Output) StartPiped(string script, string log)
    {
        var launch = ProcessLauncher.Start(new ProcessStartSpec
        {
            Arguments = ["/bin/sh", "-c", script],
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            WorkingDirectory = Root,
            OutputFile = log,
            PipeStandardStreams = true,
        });
        var process = Assert.NotNull(launch.Process);
        Track(process);
        return (process, new StreamWriter(launch.StandardInput!) { AutoFlush = true }, new StreamReader(launch.StandardOutput!));
    }

    [Fact]
    public async Task Standard_input_and_output_are_pipes_and_standard_error_goes_to_the_file()
    {
        var log = Path.Combine(Root, "err.log");
        var (process, input, output) = StartPiped("read line; echo \"got $line\"; echo oops >&2; cat", log);

        await input.WriteLineAsync("hello");
        Assert.Equal("got hello", await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await input.WriteLineAsync("echoed");
        Assert.Equal("echoed", await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        input.Dispose();
        Assert.Null(await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        var status = await ProcessGroups.TerminateAsync(process, TimeSpan.FromSeconds(5), reapLeader: true);
        Assert.Equal("oops\n", File.ReadAllText(log));
        Assert.True(status is null or { Code: 0 });
        output.Dispose();
    }

    [Fact]
    public async Task Stopping_a_tree_also_stops_descendants_that_started_a_session_of_their_own()
    {
        var log = Path.Combine(Root, "tree.log");
        var (process, input, output) = StartPiped("setsid sleep 300 & echo $!; wait", log);
        var escapedPid = int.Parse((await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!, CultureInfo.InvariantCulture);
        await WaitUntilAsync(() => ProcessProbe.Read(escapedPid) is { } s && s.Session == escapedPid, "the sleep leads its own session");
        var escaped = ProcessProbe.Read(escapedPid)!.Value.Identity;
        TrackOther(escaped);
        Assert.Contains(ProcessProbe.Descendants(process.Pid), d => d.Pid == escapedPid);

        await ProcessGroups.TerminateTreeAsync(process, TimeSpan.FromSeconds(5), reapLeader: true);

        Assert.True(IsGone(process));
        Assert.True(IsGone(escaped), "the descendant in its own session was stopped");
        input.Dispose();
        output.Dispose();
    }
}
