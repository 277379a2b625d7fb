using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Git.Tests;

public sealed class EngineIntegrationTests : IDisposable
{
    private readonly TestRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    /// <summary>Writes a file named after the step into its work directory.</summary>
    private sealed class WritingAgent() : Agent("writer")
    {
        protected override ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
        {
            File.WriteAllText(Path.Combine(context.WorkDirectory, context.Step.Name + ".txt"), context.Prompt);
            return ValueTask.FromResult(AgentResult.Success("wrote it"));
        }
    }

    [Fact]
    public async Task IsolatedSteps_CommitOnTheirBranches_AndRecordTheCommitAsTheirSnapshot()
    {
        var store = new InMemoryStore();
        var git = _repo.Workspace();
        var engine = new OrchestraEngine(store, new AgentRegistry([new WritingAgent()]), new EngineOptions
        {
            WorkDirectory = _repo.Root,
            StepWorkspace = new GitStepWorkspace(git),
        });
        var isolated = new JsonObject { [Isolation.InputKey] = "worktree" };
        var sub = await engine.SubmitAsync(new RunSpec
        {
            Kind = RunKinds.Plan,
            Steps =
            [
                new StepSpec { Name = "first", Agent = "writer", Prompt = "1", Input = isolated },
                new StepSpec { Name = "second", Agent = "writer", Prompt = "2", Input = (JsonObject)isolated.DeepClone() },
            ],
        });
        using var worker = new Worker(engine, new WorkerOptions { UntilIdle = true, Parallelism = 2 });

        await worker.RunAsync();

        var run = sub.Run.Id;
        var events = await store.ListEventsAsync(run, 0, 1000);
        foreach (var step in sub.Steps)
        {
            Assert.Equal(StepStatus.Succeeded, (await store.GetStepAsync(step.Id))!.Status);
            var commit = _repo.Git("rev-parse", $"orchestra/{run}-{step.Id}");
            Assert.Equal(step.Prompt, _repo.Show(commit, step.Name + ".txt"));
            var snapshot = Assert.Single(events, e => e.Type == EventTypes.StepSnapshot && e.StepId == step.Id);
            Assert.Equal(commit, (string?)snapshot.Data!["snapshot"]!["."]);
            Assert.False(File.Exists(Path.Combine(_repo.Root, step.Name + ".txt")));
        }
        foreach (var step in sub.Steps)
            Assert.Equal(MergeStatus.Merged, (await git.MergeAsync(new StepRef(run, step.Id, step.Name, step.Agent))).Status);
        Assert.Equal("1", _repo.Show($"orchestra/{run}", "first.txt"));
        Assert.Equal("2", _repo.Show($"orchestra/{run}", "second.txt"));
    }
}
