using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Core.Tests.Support;

namespace Orchestra.Core.Tests.Engine;

public sealed class SessionAndRetryAfterTests
{
    private readonly InMemoryStore _store = new();
    private readonly FakeTimeProvider _time = new();

    private OrchestraEngine Engine(Agent agent) =>
        new(_store, new AgentRegistry([agent]), new EngineOptions { LeaseDuration = TimeSpan.FromSeconds(30) }, _time);

    private static SessionRecord Turn(AgentContext c, int turns) => new()
    {
        Id = "chat",
        Agent = "talker",
        Messages = [new JsonObject { ["text"] = c.Prompt }],
        Turns = turns,
    };

    private async Task RunAsync(OrchestraEngine engine, string? onlyRun = null)
    {
        using var worker = new Worker(engine, new WorkerOptions { UntilIdle = true, RunId = onlyRun });
        await worker.RunAsync();
    }

    [Fact]
    public async Task A_successful_step_saves_its_session_and_the_next_step_reads_it()
    {
        var agent = new FuncAgent("talker", async (c, ct) =>
        {
            var previous = await c.LoadSessionAsync("chat", ct);
            return AgentResult.Success($"turn {(previous?.Turns ?? 0) + 1}") with { Session = Turn(c, (previous?.Turns ?? 0) + 1) };
        });
        var engine = Engine(agent);

        await engine.StartAsync(new StepSpec { Agent = "talker", Prompt = "one" });
        await RunAsync(engine);
        var second = await engine.StartAsync(new StepSpec { Agent = "talker", Prompt = "two" });
        await RunAsync(engine);

        var session = await _store.GetSessionAsync("chat");
        Assert.Equal(2, session!.Turns);
        Assert.Equal("two", session.Messages[0]!["text"]!.GetValue<string>());
        Assert.Equal(_time.GetUtcNow(), session.UpdatedAt);
        Assert.Equal("turn 2", (await _store.GetStepAsync(second.Steps[0].Id))!.Output);
        var events = await _store.ListEventsAsync(second.Run.Id, 0, 100);
        Assert.Contains(events, e => e.Type == EventTypes.SessionSaved);
    }

    [Fact]
    public async Task A_failed_step_leaves_the_session_as_it_was()
    {
        var agent = new FuncAgent("talker", (c, _) => ValueTask.FromResult(AgentResult.Permanent("no") with { Session = Turn(c, 1) }));
        var engine = Engine(agent);

        await engine.StartAsync(new StepSpec { Agent = "talker", Prompt = "one" });
        await RunAsync(engine);

        Assert.Null(await _store.GetSessionAsync("chat"));
    }

    [Fact]
    public async Task A_retry_waits_at_least_as_long_as_the_agent_was_asked_to()
    {
        var agent = new FuncAgent("talker", (_, _) => ValueTask.FromResult(AgentResult.Transient("rate limited") with { RetryAfter = TimeSpan.FromMinutes(10) }));
        var engine = Engine(agent);
        var sub = await engine.StartAsync(new StepSpec { Agent = "talker", MaxAttempts = 3 });

        var claimed = await engine.ClaimAsync("w", 1);
        await engine.CompleteAsync(new Completion(claimed[0], await agent.InvokeAsync(new AgentContext(claimed[0], [], ".", _time))));

        var step = (await _store.GetStepAsync(sub.Steps[0].Id))!;
        Assert.Equal(StepStatus.Ready, step.Status);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), step.NotBefore);
    }

    [Fact]
    public async Task A_worker_for_one_run_leaves_other_runs_alone()
    {
        var engine = Engine(FuncAgent.Echo("talker"));
        var other = await engine.StartAsync(new StepSpec { Agent = "talker", Prompt = "other", Priority = 10 });
        var mine = await engine.StartAsync(new StepSpec { Agent = "talker", Prompt = "mine" });

        await RunAsync(engine, mine.Run.Id);

        Assert.Equal(StepStatus.Succeeded, (await _store.GetStepAsync(mine.Steps[0].Id))!.Status);
        Assert.Equal(StepStatus.Ready, (await _store.GetStepAsync(other.Steps[0].Id))!.Status);
    }
}
