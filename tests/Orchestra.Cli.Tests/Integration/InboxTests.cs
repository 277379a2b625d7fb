using System.Text.Json.Nodes;

namespace Orchestra.Cli.Tests.Integration;

/// <summary>'start' accepts tasks into .orchestra/inbox/ without opening the store; everything else brings them in.</summary>
public sealed class InboxTests : IntegrationTest
{
    private string InboxDir => Path.Combine(Cli.StateDir, "inbox");

    [Fact]
    public void A_started_task_waits_in_the_inbox_until_a_command_opens_the_store()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        File.Delete(StoreView.DefaultPath(Cli));

        var id = Ok("start", "quick", "do it", "--priority", "3", "--timeout", "5m", "--max-attempts", "2", "--name", "job").Out.Trim();

        Assert.True(File.Exists(Path.Combine(InboxDir, id + ".json")));
        Assert.False(File.Exists(StoreView.DefaultPath(Cli)));
        var step = Ok("status", id, "--json").Json();
        Assert.Equal(id, step["id"]!.GetValue<string>());
        Assert.Equal("ready", step["status"]!.GetValue<string>());
        Assert.Equal("job", step["name"]!.GetValue<string>());
        Assert.Equal(3, step["priority"]!.GetValue<int>());
        Assert.Equal(2, step["max_attempts"]!.GetValue<int>());
        Assert.Equal(300_000, step["timeout_ms"]!.GetValue<long>());
        Assert.Empty(Directory.GetFiles(InboxDir, "*.json"));
    }

    [Fact]
    public async Task Started_tasks_run_first_in_first_out()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        var ids = Enumerable.Range(0, 5).Select(i => Ok("start", "quick", $"task {i}").Out.Trim()).ToList();

        Ok("run", "--until-idle", "--parallel", "1");

        var view = await StoreView.ReadAsync(Cli);
        var started = view.Events.Where(e => e.Type == "step.started").Select(e => e.StepId!).ToList();
        Assert.Equal(ids, started);
        Assert.All(view.Steps, s => Assert.Equal("succeeded", s.Status.ToString().ToLowerInvariant()));
    }

    [Fact]
    public async Task A_file_brought_in_twice_makes_one_task()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        var id = Ok("start", "quick", "once").Out.Trim();
        var file = Path.Combine(InboxDir, id + ".json");
        var copy = File.ReadAllBytes(file);

        Ok("status");
        File.WriteAllBytes(file, copy);
        Ok("run", "--until-idle");

        var view = await StoreView.ReadAsync(Cli);
        Assert.Single(view.Steps);
        Assert.Equal(1, view.Steps[0].Attempt);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_damaged_file_is_set_aside_with_the_reason_and_the_others_still_run()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        Directory.CreateDirectory(InboxDir);
        File.WriteAllText(Path.Combine(InboxDir, "s0000000000000.json"), "{ not json");
        var id = Ok("start", "quick", "fine").Out.Trim();

        Ok("run", "--until-idle");

        var view = await StoreView.ReadAsync(Cli);
        Assert.Equal(id, Assert.Single(view.Steps).Id);
        Assert.True(File.Exists(Path.Combine(InboxDir, "rejected", "s0000000000000.json")));
        Assert.Contains("not a queued task", File.ReadAllText(Path.Combine(InboxDir, "rejected", "s0000000000000.error")), StringComparison.Ordinal);
    }

    [Fact]
    public void Starts_that_need_the_store_use_it_directly()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        var first = Ok("start", "quick", "a", "--idempotency-key", "k1").Out.Trim();
        var again = Ok("start", "quick", "a", "--idempotency-key", "k1").Out.Trim();
        var after = Ok("start", "quick", "b", "--after", first).Out.Trim();

        Assert.Equal(first, again);
        Assert.False(Directory.Exists(InboxDir) && Directory.GetFiles(InboxDir, "*.json").Length > 0);
        Assert.Equal("pending", Ok("status", after, "--json").Json()["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_running_worker_picks_up_a_task_started_after_it()
    {
        Init();
        ScriptedAgent("quick", "0ms");
        using var worker = Cli.Start("worker", "--quiet");
        var id = Ok("start", "quick", "late").Out.Trim();

        await Poll.UntilAsync(() => !File.Exists(Path.Combine(InboxDir, id + ".json")) && Ok("status", id, "--json").Json()["status"]!.GetValue<string>() == "succeeded",
            Patience, () => $"step {id} was never run: {worker.Output}");
    }
}
