using System.Text.Json.Nodes;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Workspace.Yaml;

namespace Orchestra.Workspace;

/// <summary>One entry of a plan's <c>tasks:</c> list.</summary>
public sealed record PlanTask
{
    /// <summary>Unique id within the plan.</summary>
    public string? Id { get; set; }

    /// <summary>The agent.</summary>
    public string? Agent { get; set; }

    /// <summary>The prompt.</summary>
    public string? Prompt { get; set; }

    /// <summary>Ids of tasks (in this plan) or steps (already queued) it waits for.</summary>
    public IReadOnlyList<string> DependsOn { get; set; } = [];

    /// <summary>Higher runs first.</summary>
    public int Priority { get; set; }

    /// <summary>Time allowed per attempt.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Attempts allowed; the workspace default when absent.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>What happens when a dependency fails.</summary>
    public DependencyFailurePolicy? OnDependencyFailure { get; set; }
}

/// <summary>A plan file: a dependency graph of tasks submitted in one go.</summary>
public sealed record PlanFile
{
    /// <summary>A name for the run; the file name by default.</summary>
    public string? Name { get; set; }

    /// <summary>A description.</summary>
    public string? Description { get; set; }

    /// <summary>Most tasks of this plan running at once.</summary>
    public int? MaxParallel { get; set; }

    /// <summary>What dependants of a failed task do.</summary>
    public DependencyFailurePolicy? OnDependencyFailure { get; set; }

    /// <summary>Initial state document.</summary>
    public JsonObject? State { get; set; }

    /// <summary>The tasks.</summary>
    public IReadOnlyList<PlanTask> Tasks { get; set; } = [];
}

/// <summary>Reads and checks plan files. Every problem is reported with its position before anything is written.</summary>
public static class PlanLoader
{
    /// <summary>Most tasks a plan may hold. <value>The default value is 100,000.</value></summary>
    public const int MaxTasks = 100_000;

    /// <summary>Reads <paramref name="path"/> and returns the run to submit.</summary>
    /// <exception cref="OrchestraException">The file is invalid; the message names file:line:column and the fix.</exception>
    public static RunSpec Load(string path, OrchestraWorkspace workspace)
    {
        var source = YamlSource.Load(path);
        if (source.Root is not JsonObject)
            throw source.Error("$", "a plan must be a mapping with a 'tasks:' list.");
        var plan = SpecBinder.Bind<PlanFile>(source, source.Root, "$");
        if (plan.Tasks.Count == 0)
            throw source.Error("$.tasks", "the plan has no tasks: add a 'tasks:' list with id, agent and prompt for each.");
        if (plan.Tasks.Count > MaxTasks)
            throw source.Error("$.tasks", $"{plan.Tasks.Count} tasks is more than the {MaxTasks} a plan may hold: split it.");
        if (plan.MaxParallel is < 1)
            throw source.Error("$.max_parallel", "max_parallel must be at least 1.");

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var knownAgents = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < plan.Tasks.Count; i++)
        {
            var t = plan.Tasks[i];
            var at = $"$.tasks[{i}]";
            if (string.IsNullOrEmpty(t.Id))
                throw source.Error(at, "this task has no 'id:'.");
            if (!Ids.IsValidName(t.Id))
                throw source.Error($"{at}.id", $"'{t.Id}' is not a valid task id: use letters, digits, '-', '_' or '.' (at most 64).");
            if (!ids.TryAdd(t.Id, i))
                throw source.Error($"{at}.id", $"task id '{t.Id}' is used twice (first at {source.Where($"$.tasks[{ids[t.Id]}].id")}).");
            if (string.IsNullOrEmpty(t.Agent))
                throw source.Error(at, $"task '{t.Id}' has no 'agent:'.");
            if (!knownAgents.Contains(t.Agent))
            {
                try
                {
                    if (workspace.Agents.Find(t.Agent) is null)
                        throw source.Error($"{at}.agent", workspace.Agents.UnknownMessage(t.Agent), ErrorKind.NotFound);
                }
                catch (OrchestraException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal) && !ex.Message.StartsWith(workspace.AgentsDir, StringComparison.Ordinal))
                {
                    throw source.Error($"{at}.agent", ex.Message, ex.Kind);
                }
                knownAgents.Add(t.Agent);
            }
            if (t.Prompt is null)
                throw source.Error(at, $"task '{t.Id}' has no 'prompt:'.");
            if (t.MaxAttempts is < 1)
                throw source.Error($"{at}.max_attempts", "max_attempts must be at least 1.");
            if (t.Timeout is { } timeout && timeout <= TimeSpan.Zero)
                throw source.Error($"{at}.timeout", "the timeout must be positive.");
        }
        for (var i = 0; i < plan.Tasks.Count; i++)
        {
            var t = plan.Tasks[i];
            for (var j = 0; j < t.DependsOn.Count; j++)
            {
                var dep = t.DependsOn[j];
                if (dep == t.Id)
                    throw source.Error($"$.tasks[{i}].depends_on[{j}]", $"task '{t.Id}' depends on itself.");
                if (!ids.ContainsKey(dep) && !(Ids.IsValid(dep) && Ids.IsStep(dep)))
                    throw source.Error($"$.tasks[{i}].depends_on[{j}]", $"task '{t.Id}' depends on unknown task '{dep}'.", ErrorKind.NotFound);
            }
        }
        var cycle = FindCycle(plan.Tasks, ids);
        if (cycle is not null)
            throw source.Error($"$.tasks[{ids[cycle[0]]}].depends_on", $"dependency cycle: {string.Join(" → ", cycle)}. Remove one of these depends_on entries.");

        var config = workspace.Config;
        return new RunSpec
        {
            Kind = RunKinds.Plan,
            Name = plan.Name ?? Path.GetFileNameWithoutExtension(path),
            MaxParallel = plan.MaxParallel,
            State = plan.State,
            OnDependencyFailure = plan.OnDependencyFailure ?? config.OnDependencyFailure,
            Steps = plan.Tasks.Select(t => new StepSpec
            {
                Name = t.Id,
                Agent = t.Agent!,
                Prompt = t.Prompt!,
                DependsOn = t.DependsOn,
                Priority = t.Priority,
                Timeout = t.Timeout,
                MaxAttempts = t.MaxAttempts ?? config.MaxAttempts,
                OnDependencyFailure = t.OnDependencyFailure,
            }).ToList(),
        };
    }

    private static List<string>? FindCycle(IReadOnlyList<PlanTask> tasks, Dictionary<string, int> ids)
    {
        DependencyOrder.Sort(tasks.Count, i => tasks[i].DependsOn.Where(ids.ContainsKey).Select(d => ids[d]), out var cycle);
        return cycle?.Select(k => tasks[k].Id!).ToList();
    }
}
