using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Engine;

public class StepWorkspaceTests
{
    private readonly InMemoryStore _store = new();

    /// <summary>Hands each step <c>/isolated/&lt;step&gt;</c> and records what it was asked.</summary>
    private sealed class RecordingWorkspace : IStepWorkspace
    {
        public ConcurrentQueue<string> Prepared { get; } = new();
        public ConcurrentQueue<string> Completed { get; } = new();
        public string? FailPrepare { get; init; }
        public string? FailComplete { get; init; }

        public ValueTask<string> PrepareAsync(StepRecord step, CancellationToken cancellationToken = default)
        {
            if (FailPrepare is not null)
                throw new OrchestraException(FailPrepare);
            Prepared.Enqueue(step.Id);
            return ValueTask.FromResult("/isolated/" + step.Id);
        }

        public ValueTask<JsonObject?> CompleteAsync(StepRecord step, AgentResult result, CancellationToken cancellationToken = default)
        {
            if (FailComplete is not null)
                throw new OrchestraException(FailComplete);
            Completed.Enqueue(step.Id);
            return ValueTask.FromResult<JsonObject?>(new JsonObject { ["repos"] = new JsonObject { ["."] = "abc123" } });
        }
    }

    private async Task<(StepRecord Step, IReadOnlyList<RunEvent> Events)> RunOneAsync(Agent agent, IStepWorkspace? workspace, JsonObject? input)
    {
        var engine = new OrchestraEngine(_store, new AgentRegistry([agent]), new EngineOptions { WorkDirectory = "/shared", StepWorkspace = workspace });
        var sub = await engine.StartAsync(new StepSpec { Agent = agent.Name, Prompt = "p", Input = input });
        using var worker = new Worker(engine, new WorkerOptions { UntilIdle = true });
        await worker.RunAsync();
        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        return (step, await _store.ListEventsAsync(step.RunId, 0, 1000));
    }

    private static JsonObject Worktree() => new() { [Isolation.InputKey] = "worktree" };

    [Fact]
    public async Task IsolatedStep_WorksInThePreparedDirectory_AndItsSnapshotIsStoredWithTheResult()
    {
        var agent = FuncAgent.Echo("a");
        var workspace = new RecordingWorkspace();

        var (step, events) = await RunOneAsync(agent, workspace, Worktree());

        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.True(agent.Calls.TryPeek(out var context));
        Assert.Equal("/isolated/" + step.Id, context.WorkDirectory);
        Assert.Equal([step.Id], workspace.Completed);
        var snapshot = Assert.Single(events, e => e.Type == EventTypes.StepSnapshot);
        Assert.Equal("abc123", snapshot.Data!["repos"]!["."]!.GetValue<string>());
    }

    [Fact]
    public async Task StepWithoutIsolation_NeverTouchesTheStepWorkspace()
    {
        var agent = FuncAgent.Echo("a");
        var workspace = new RecordingWorkspace();

        var (step, events) = await RunOneAsync(agent, workspace, new JsonObject { ["other"] = 1 });

        Assert.Equal(StepStatus.Succeeded, step.Status);
        Assert.True(agent.Calls.TryPeek(out var context));
        Assert.Equal("/shared", context.WorkDirectory);
        Assert.Empty(workspace.Prepared);
        Assert.DoesNotContain(events, e => e.Type == EventTypes.StepSnapshot);
    }

    [Fact]
    public async Task AgentIsolation_AppliesUnlessTheStepInputSaysNone()
    {
        var agent = FuncAgent.Echo("a");
        agent.Isolation = StepIsolation.Worktree;
        var workspace = new RecordingWorkspace();

        var (isolated, _) = await RunOneAsync(agent, workspace, null);
        var (shared, _) = await RunOneAsync(agent, workspace, new JsonObject { [Isolation.InputKey] = "none" });

        Assert.Equal([isolated.Id], workspace.Prepared);
        Assert.Equal(StepStatus.Succeeded, shared.Status);
    }

    [Fact]
    public async Task FailedStep_IsNotCompleted()
    {
        var agent = new FuncAgent("a", (_, _) => ValueTask.FromResult(AgentResult.Permanent("broken")));
        var workspace = new RecordingWorkspace();

        var (step, _) = await RunOneAsync(agent, workspace, Worktree());

        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Single(workspace.Prepared);
        Assert.Empty(workspace.Completed);
    }

    [Fact]
    public async Task PrepareFailure_FailsTheStepWithItsMessage_WithoutCallingTheAgent()
    {
        var agent = FuncAgent.Echo("a");

        var (step, _) = await RunOneAsync(agent, new RecordingWorkspace { FailPrepare = "not a git repository" }, Worktree());

        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal("not a git repository", step.Error);
        Assert.Empty(agent.Calls);
    }

    [Fact]
    public async Task CompleteFailure_FailsTheStepAndKeepsItsUsage()
    {
        var agent = new FuncAgent("a", (_, _) => ValueTask.FromResult(AgentResult.Success("ok", new Usage { InputTokens = 7 })));

        var (step, _) = await RunOneAsync(agent, new RecordingWorkspace { FailComplete = "disk full" }, Worktree());

        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.Equal("the step's work could not be recorded: disk full", step.Error);
        Assert.Equal(7, step.Usage.InputTokens);
    }

    [Fact]
    public async Task IsolationWithoutAStepWorkspace_OrAnUnknownIsolation_FailsWithAClearMessage()
    {
        var (noWorkspace, _) = await RunOneAsync(FuncAgent.Echo("a"), null, Worktree());
        var (unknown, _) = await RunOneAsync(FuncAgent.Echo("b"), new RecordingWorkspace(), new JsonObject { [Isolation.InputKey] = "container" });

        Assert.Contains("has no step workspace", noWorkspace.Error, StringComparison.Ordinal);
        Assert.Equal("unknown isolation 'container' in the step's input: use 'worktree' or 'none'.", unknown.Error);
    }
}
