namespace Orchestra.Cli.Tests;

/// <summary><c>orchestra run pipeline.yaml</c>: inputs, progress, summary, exit codes, status and bad input.</summary>
public sealed class PipelineRunTests : IDisposable
{
    private const string Loop = """
        name: loop
        inputs:
          topic: { type: string }
          tone: { type: string, default: plain }
        agents:
          writer:
            kind: scripted
            task: { text: "Write about {{ topic }} in a {{ tone }} tone{{#if outputs.critic.notes}} again: {{ outputs.critic.notes }}{{/if}}" }
          critic:
            kind: scripted
            task: { text: "Check: {{ outputs.writer }}" }
            responses:
              - { match: "again", data: { verdict: accept, notes: fine } }
              - { data: { verdict: revise, notes: shorter } }
        graph:
          edges:
            - { from: START, to: writer }
            - { from: writer, to: critic }
            - { from: critic, to: writer, condition: outputs.critic.verdict == "revise", max_loops: 3 }
            - { from: critic, to: END, condition: outputs.critic.verdict == "accept" }
        """;

    private readonly CliHarness _cli = new();

    public PipelineRunTests()
    {
        Assert.Equal(0, _cli.Run("init").ExitCode);
        _cli.WriteFile("loop.yaml", Loop);
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Ok(params string[] args)
    {
        var r = _cli.Run(args);
        Assert.True(r.ExitCode == 0, $"orchestra {string.Join(' ', args)} exited {r.ExitCode}: {r.Err}{r.Out}");
        return r;
    }

    private static string RunId(CliResult r)
    {
        var first = r.Out.Split('\n')[0];
        Assert.StartsWith("run r", first, StringComparison.Ordinal);
        return first.Split(' ')[1];
    }

    private void AssertRefused(CliResult r, params string[] expected)
    {
        Assert.Equal(2, r.ExitCode);
        foreach (var e in expected)
            Assert.Contains(e, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Equal("[]", Ok("status", "--json").Out.Trim());
    }

    [Fact]
    public void Run_PrintsTheRunIdFirst_ProgressLinesWithoutColour_AndAPerNodeSummary()
    {
        var r = Ok("run", "loop.yaml", "--input", "topic=durability");

        var runId = RunId(r);
        Assert.Contains("pipeline loop (" + Path.Combine(_cli.Root, "loop.yaml") + ")", r.Out, StringComparison.Ordinal);
        Assert.Contains("writer (pipeline:loop:writer) started", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", r.Out, StringComparison.Ordinal);
        Assert.Contains($"run {runId} loop completed", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"│ writer\s+│ ✓ succeeded │\s+2 │", r.Out);
        Assert.Matches(@"│ critic\s+│ ✓ succeeded │\s+2 │", r.Out);
    }

    [Fact]
    public void Status_OfAPipelineRun_ShowsEachNodesStatusLoopCountTokensCostAndTime()
    {
        var runId = RunId(Ok("run", "loop.yaml", "--input", "topic=durability"));

        var text = Ok("status", runId);
        Assert.Contains("NODE", text.Out, StringComparison.Ordinal);
        Assert.Matches(@"│ writer\s+│ ✓ succeeded │\s+2 │", text.Out);

        var json = Ok("status", runId, "--json").Json();
        Assert.Equal("completed", json["status"]!.GetValue<string>());
        var nodes = json["nodes"]!.AsArray();
        Assert.Equal(["writer", "critic"], nodes.Select(n => n!["node"]!.GetValue<string>()));
        Assert.All(nodes, n =>
        {
            Assert.Equal("succeeded", n!["status"]!.GetValue<string>());
            Assert.Equal(2, n["activations"]!.GetValue<int>());
            Assert.NotNull(n["usage"]);
            Assert.True(n["duration_ms"]!.GetValue<long>() >= 0);
        });
    }

    [Fact]
    public void InputFile_GivesInputs_AndInputOnTheCommandLineWinsOverIt()
    {
        _cli.WriteFile("inputs.yaml", "topic: from-file\ntone: dry\n");

        var runId = RunId(Ok("run", "loop.yaml", "--input-file", "inputs.yaml", "--input", "topic=from-flag"));

        var steps = Ok("status", runId, "--json").Json()["steps"]!.AsArray();
        var first = steps.First(s => s!["name"]!.GetValue<string>() == "writer")!;
        var prompt = Ok("status", first["id"]!.GetValue<string>(), "--json").Json()["prompt"]!.GetValue<string>();
        Assert.Equal("Write about from-flag in a dry tone", prompt);
    }

    [Fact]
    public void FailingPipeline_ExitsOne_AndSaysWhichNodeFailed()
    {
        _cli.WriteFile("fails.yaml", """
            name: fails
            agents:
              ok: { kind: scripted, task: { text: "fine" } }
              broken:
                kind: scripted
                task: { text: "break" }
                responses: [{ fail: permanent, error: boom }]
            graph:
              edges:
                - { from: START, to: ok }
                - { from: ok, to: broken }
                - { from: broken, to: END }
            """);

        var r = _cli.Run("run", "fails.yaml");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("broken (pipeline:fails:broken) failed — boom", r.Out, StringComparison.Ordinal);
        Assert.Contains($"run {RunId(r)} fails failed", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void RunWithoutAFile_StillExecutesQueuedWork()
    {
        var id = Ok("start", "reviewer", "x").Out.Trim();

        Ok("run");

        Assert.Equal("succeeded", Ok("status", id, "--json").Json()["status"]!.GetValue<string>());
    }

    [Fact]
    public void CompileErrors_ArePrintedExactlyAsCompilePrintsThem_AndNothingIsWritten()
    {
        _cli.WriteFile("bad.yaml", "name: bad\ngraph:\n  edges:\n    - { from: START, to: nowhere }\n");
        var compile = _cli.Run("compile", "bad.yaml");

        var r = _cli.Run("run", "bad.yaml");

        Assert.Equal(2, r.ExitCode);
        Assert.NotEqual("", r.Err.Trim());
        Assert.Equal(compile.Err, r.Err);
        Assert.Equal("[]", Ok("status", "--json").Out.Trim());
    }

    [Fact]
    public void MissingInput_IsNamedWithTheFlagThatGivesIt() =>
        AssertRefused(_cli.Run("run", "loop.yaml"), "missing required input 'topic'", "--input topic=");

    [Fact]
    public void UnknownInput_IsNamedWithTheKnownOnes() =>
        AssertRefused(_cli.Run("run", "loop.yaml", "--input", "topic=x", "--input", "colour=red"), "no input 'colour'", "topic, tone");

    [Fact]
    public void InputWithoutEquals_SaysHowToWriteIt() =>
        AssertRefused(_cli.Run("run", "loop.yaml", "--input", "topic"), "--input 'topic' is not name=value");

    [Fact]
    public void UnknownPipelineFile_IsOneLine() =>
        AssertRefused(_cli.Run("run", "nope.yaml"), "nope.yaml", "no such file");

    [Fact]
    public void InvalidYaml_GivesFileLineAndColumn()
    {
        _cli.WriteFile("broken.yaml", "name: broken\ngraph: [\n");

        AssertRefused(_cli.Run("run", "broken.yaml"), "broken.yaml:");
    }

    [Fact]
    public void MissingInputFile_IsOneLine() =>
        AssertRefused(_cli.Run("run", "loop.yaml", "--input-file", "absent.yaml"), "absent.yaml", "no such file");

    [Fact]
    public void InputFileThatIsNotAMapping_IsOneLine()
    {
        _cli.WriteFile("list.yaml", "- a\n- b\n");

        AssertRefused(_cli.Run("run", "loop.yaml", "--input-file", "list.yaml"), "list.yaml", "expected a mapping");
    }

    [Fact]
    public void InputsWithoutAPipelineFile_AreRefused() =>
        AssertRefused(_cli.Run("run", "--input", "topic=x"), "need a pipeline file");
}
