using System.Text.Json.Nodes;

namespace Orchestra.Cli.Tests;

/// <summary>
/// <c>orchestra checkpoints</c>, <c>replay</c> and <c>fork</c> through the real command: a pipeline whose nodes commit
/// in their own worktrees, put back to a checkpoint (state and session branch), and forked with an edit.
/// </summary>
public sealed class ReplayTests : IDisposable
{
    // Each writer appends its task to notes.txt in its own worktree, started from the run's session branch.
    private const string Pipeline = """
        name: notes
        inputs:
          mood: { type: string, default: calm }
        agents:
          first:
            use: writer
            task: { text: "first {{ inputs.mood }}" }
          second:
            use: writer
            task: { text: "second {{ inputs.mood }}" }
          calm:
            use: writer
            task: { text: "calm ending" }
          loud:
            use: writer
            task: { text: "loud ending" }
        graph:
          edges:
            - { from: START, to: first }
            - { from: first, to: second }
            - { from: second, to: calm, condition: inputs.mood == "calm" }
            - { from: second, to: loud, condition: inputs.mood != "calm" }
            - { from: calm, to: END }
            - { from: loud, to: END }
        """;

    private readonly CliHarness _cli = new();

    public ReplayTests()
    {
        TestGit.Isolate(_cli);
        GitOk("init", "--quiet", "--initial-branch=main");
        Ok("init");
        _cli.WriteFile(".orchestra/agents/writer.yaml", """
            kind: cli
            isolation: worktree
            command: ["sh", "-c", "printf '%s\\n' \"$1\" >> notes.txt", "writer", "{prompt}"]
            """);
        _cli.WriteFile("notes.yaml", Pipeline);
        GitOk("add", "-A");
        GitOk("commit", "--quiet", "-m", "workspace");
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private string GitOk(params string[] args) => TestGit.Ok(_cli, args);

    private static void AssertOneLineError(CliResult r, params string[] expected)
    {
        Assert.Equal(2, r.ExitCode);
        foreach (var e in expected)
            Assert.Contains(e, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    private static string RunId(CliResult r)
    {
        var first = r.Out.Split('\n')[0];
        Assert.StartsWith("run r", first, StringComparison.Ordinal);
        return first.Split(' ')[1];
    }

    private static JsonObject At(JsonArray checkpoints, int number) => checkpoints[number - 1]!.AsObject();

    private JsonArray Checkpoints(string run) => Ok("checkpoints", run, "--json").Json().AsArray();

    private JsonObject StepsByNode(string run) =>
        new(Ok("status", run, "--json").Json()["steps"]!.AsArray()
            .Where(s => (string?)s!["status"] != "superseded")
            .Select(s => KeyValuePair.Create((string)s!["name"]!, (JsonNode?)s.DeepClone())));

    [Fact]
    public void Replay_PutsStateAndTheSessionBranchBackToTheCheckpoint_AndRunsTheRestAgain()
    {
        var run = RunId(Ok("run", "notes.yaml"));
        var checkpoints = Checkpoints(run);
        Assert.Equal(["run created", "first", "second", "calm"], checkpoints.Select(c => c!["nodes"]!.AsArray().Count == 0 ? "run created" : (string)c["nodes"]![0]!));
        var afterFirst = checkpoints[1]!;
        var firstCommit = (string)afterFirst["commits"]!["."]!;
        Assert.Equal("first calm", GitOk("show", $"{firstCommit}:notes.txt"));
        // Each node's work joined the run's session branch, so the next node built on it.
        Assert.Equal("first calm\nsecond calm\ncalm ending", GitOk("show", $"orchestra/{run}:notes.txt"));
        Assert.Equal(["second"], afterFirst["open"]!.AsArray().Select(o => (string)o!["node"]!));
        var stepsBefore = Ok("status", run, "--json").Json()["steps"]!.AsArray().Count;
        var table = Ok("checkpoints", run).Out;
        Assert.Contains("first done", table, StringComparison.Ordinal);

        var supersededSecond = GitOk("rev-parse", (string)At(checkpoints, 3)["commits"]!["."]!);

        var replay = Ok("replay", run, "--checkpoint", "2");

        Assert.Contains($"run {run} is back at checkpoint 2: 2 steps set aside, to run again: second; session branches at .@{firstCommit[..10]}", replay.Out, StringComparison.Ordinal);
        Assert.Contains("completed", replay.Out, StringComparison.Ordinal);
        // The session branch went back to the first node's work, and the nodes after it built on it again.
        Assert.Equal("first calm\nsecond calm\ncalm ending", GitOk("show", $"orchestra/{run}:notes.txt"));
        Assert.Equal(0, TestGit.Run(_cli, "merge-base", "--is-ancestor", firstCommit, $"orchestra/{run}").ExitCode);
        Assert.NotEqual(0, TestGit.Run(_cli, "merge-base", "--is-ancestor", supersededSecond, $"orchestra/{run}").ExitCode);
        Assert.Equal(stepsBefore + 2, Ok("status", run, "--json").Json()["steps"]!.AsArray().Count);
        var status = Ok("status", run).Out;
        Assert.Contains("superseded", status, StringComparison.Ordinal);
        var after = Checkpoints(run);
        Assert.Equal("replay", (string)after[4]!["reason"]!);
        Assert.Equal(7, after.Count);
        // Nothing of the user's own checkout moved.
        Assert.Equal("main", GitOk("rev-parse", "--abbrev-ref", "HEAD"));
        Assert.Equal("", GitOk("status", "--porcelain"));
    }

    [Fact]
    public void Fork_WithAnEdit_TakesTheOtherBranch_FromTheCheckpointsCommits_AndLeavesTheOriginalAlone()
    {
        var run = RunId(Ok("run", "notes.yaml"));
        var original = Checkpoints(run);
        var afterSecond = original[2]!;
        var secondCommit = (string)afterSecond["commits"]!["."]!;

        var fork = Ok("fork", run, "--checkpoint", "3", "--set", "inputs.mood=loud");
        var forkId = fork.Out.Split('\n')[0].Split(' ')[1];

        Assert.Contains($"forked from run {run} at checkpoint 3 with inputs.mood=\"loud\"; to run: loud", fork.Out, StringComparison.Ordinal);
        Assert.Contains("completed", fork.Out, StringComparison.Ordinal);
        var loud = (string)StepsByNode(forkId)["loud"]!["id"]!;
        // The fork's session starts at the second node's commit: its steps see the work done before the checkpoint.
        Assert.Equal("first calm\nsecond calm\nloud ending", GitOk("show", $"orchestra/{forkId}-{loud}:notes.txt"));
        Assert.Equal(original.ToJsonString(), Checkpoints(run).ToJsonString());
        Assert.Equal("fork", (string)Checkpoints(forkId)[0]!["reason"]!);
    }

    [Fact]
    public void BadRequests_GetOneLine_AndChangeNothing()
    {
        var run = RunId(Ok("run", "notes.yaml"));
        var before = Checkpoints(run).ToJsonString();

        AssertOneLineError(_cli.Run("replay", run), "--checkpoint N");
        AssertOneLineError(_cli.Run("replay", run, "--checkpoint", "99"), "has checkpoints 1 to 4, not 99");
        AssertOneLineError(_cli.Run("fork", run, "--checkpoint", "2", "--set", "novalue"), "is not an edit");
        AssertOneLineError(_cli.Run("replay", "r0000000000zz", "--checkpoint", "1"));
        var task = Ok("start", "writer", "x").Out.Trim();
        AssertOneLineError(_cli.Run("checkpoints", task), "only pipeline and graph runs have numbered checkpoints");

        Assert.Equal(before, Checkpoints(run).ToJsonString());
    }
}
