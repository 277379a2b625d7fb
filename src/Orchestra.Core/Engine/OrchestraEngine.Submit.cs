using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Core.Engine;

public sealed partial class OrchestraEngine
{
    /// <summary>
    /// Creates a run and its steps in one transaction after checking the whole spec: names, agents,
    /// dependencies and cycles. Nothing is written when a check fails.
    /// </summary>
    /// <exception cref="OrchestraException">The spec is invalid or an idempotency key conflicts.</exception>
    public async ValueTask<Submission> SubmitAsync(RunSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        GraphDefinition? graph = null;
        if (spec.Kind == RunKinds.Graph)
        {
            graph = Graphs.FindGraph(spec.Name)
                ?? throw new OrchestraException($"Unknown graph '{spec.Name}': register it with the engine's graph catalog first.", ErrorKind.NotFound);
        }
        if (spec.Id is not null && (!Ids.IsValid(spec.Id) || Ids.IsStep(spec.Id) || spec.Steps.Any(st => st.Id is { } sid && (!Ids.IsValid(sid) || !Ids.IsStep(sid)))))
            throw new OrchestraException($"'{spec.Id}' with its steps is not a valid pre-assigned run id.");
        var order = Validate(spec);
        // Only a step with an idempotency key is ever compared with an earlier request.
        var hashes = spec.Steps.Select(s => s.IdempotencyKey is null ? null : PayloadHash(s)).ToArray();

        var existing = await FindIdempotentAsync(Store, spec, hashes, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
            return existing;

        return await TransactAsync(async tx =>
        {
            // Look again under the write lock: a concurrent submission with the same keys may have committed since.
            if (await FindIdempotentAsync(tx.Store, spec, hashes, cancellationToken).ConfigureAwait(false) is { } raced)
                return raced;
            if (spec.Id is not null && await tx.Store.GetRunAsync(spec.Id, cancellationToken).ConfigureAwait(false) is { } already)
                return new Submission(already, await tx.Store.ListStepsAsync(new StepQuery { RunId = already.Id }, cancellationToken).ConfigureAwait(false), Existing: true);
            // Check external dependencies inside the transaction so they cannot change under us.
            var names = spec.Steps.Select(s => s.Name ?? s.Agent).ToHashSet(StringComparer.Ordinal);
            foreach (var dep in spec.Steps.SelectMany(s => s.DependsOn).Where(d => Ids.IsValid(d) && Ids.IsStep(d)).Distinct())
            {
                if (names.Contains(dep))
                    continue;
                if (await tx.Store.GetStepAsync(dep, cancellationToken).ConfigureAwait(false) is null)
                    throw new OrchestraException($"Step {dep} given as a dependency does not exist: check the id with 'orchestra status --all'.", ErrorKind.NotFound);
            }

            var run = new RunRecord
            {
                Id = spec.Id ?? Ids.NewRunId(Time),
                Kind = spec.Kind,
                Name = spec.Name,
                State = spec.State?.DeepClone() as JsonObject ?? [],
                Graph = spec.GraphSource is { } source ? new JsonObject { [GraphSourceKey] = source.DeepClone() } : [],
                MaxParallel = spec.MaxParallel,
                OnDependencyFailure = spec.OnDependencyFailure,
                CreatedAt = tx.Now,
            };
            await tx.Store.InsertRunAsync(run, cancellationToken).ConfigureAwait(false);
            tx.Checkpoint(run.Id, CheckpointReasons.Created);
            await tx.AppendAsync(EventTypes.RunCreated, run.Id, null, new JsonObject { ["kind"] = run.Kind, ["name"] = run.Name }, cancellationToken).ConfigureAwait(false);

            var created = new Dictionary<string, StepRecord>(StringComparer.Ordinal);
            var failedAtBirth = new List<StepRecord>();
            foreach (var index in order)
            {
                var s = spec.Steps[index];
                var name = s.Name ?? s.Agent;
                var depIds = new List<string>(s.DependsOn.Count);
                var pending = 0;
                StepRecord? failedDep = null;
                foreach (var dep in s.DependsOn)
                {
                    if (created.TryGetValue(dep, out var sibling))
                    {
                        depIds.Add(sibling.Id);
                        pending++;
                        continue;
                    }
                    var other = (await tx.Store.GetStepAsync(dep, cancellationToken).ConfigureAwait(false))!;
                    depIds.Add(other.Id);
                    if (other.Status == StepStatus.Succeeded)
                        continue;
                    if (other.Status.IsUnsuccessful())
                        failedDep ??= other;
                    pending++;
                }
                var step = new StepRecord
                {
                    Id = s.Id ?? Ids.NewStepId(Time),
                    RunId = run.Id,
                    Name = name,
                    Agent = s.Agent,
                    Prompt = s.Prompt,
                    Input = s.Input?.DeepClone() as JsonObject,
                    Status = pending == 0 ? StepStatus.Ready : StepStatus.Pending,
                    Priority = s.Priority,
                    PendingDependencies = pending,
                    OnDependencyFailure = s.OnDependencyFailure ?? spec.OnDependencyFailure,
                    MaxAttempts = s.MaxAttempts,
                    Timeout = s.Timeout,
                    IdempotencyKey = s.IdempotencyKey,
                    PayloadHash = hashes[index],
                    CreatedAt = tx.Now,
                    DependsOn = depIds,
                };
                step = await tx.Store.InsertStepAsync(step, cancellationToken).ConfigureAwait(false);
                created[name] = step;
                await tx.AppendAsync(EventTypes.StepCreated, run.Id, step.Id, new JsonObject { ["name"] = name, ["agent"] = s.Agent, ["status"] = step.Status.ToWire() }, cancellationToken).ConfigureAwait(false);
                if (failedDep is not null)
                    failedAtBirth.Add(failedDep);
            }

            // A dependency that already failed settles its new dependants at once.
            foreach (var dep in failedAtBirth.DistinctBy(d => d.Id))
                await PropagateFailureAsync(tx, dep, cancellationToken).ConfigureAwait(false);

            if (graph is not null)
                await FireEdgesAsync(tx, run, graph, GraphDefinition.Start, null, cancellationToken).ConfigureAwait(false);

            await FinalizeRunIfDoneAsync(tx, run.Id, cancellationToken).ConfigureAwait(false);
            var finalRun = await tx.RunAsync(run.Id, cancellationToken).ConfigureAwait(false);
            var steps = new List<StepRecord>(spec.Steps.Count);
            foreach (var s in spec.Steps)
                steps.Add((await tx.Store.GetStepAsync(created[s.Name ?? s.Agent].Id, cancellationToken).ConfigureAwait(false))!);
            return new Submission(finalRun, steps);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings in work accepted outside the store (see <see cref="EngineOptions.Intake"/>); the number of
    /// submissions brought in. A failing intake is reported as none: work already in the store goes on.
    /// </summary>
    public async ValueTask<int> IntakeAsync(CancellationToken cancellationToken = default)
    {
        if (Options.Intake is not { } intake)
            return 0;
        try
        {
            return await intake(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>Queues one task: a run with a single step.</summary>
    public ValueTask<Submission> StartAsync(StepSpec step, CancellationToken cancellationToken = default) =>
        SubmitAsync(new RunSpec { Kind = RunKinds.Task, Name = step.Name ?? step.Agent, Steps = [step] }, cancellationToken);

    /// <summary>Starts a run of a registered graph with an initial state.</summary>
    public ValueTask<Submission> StartGraphAsync(string graphName, JsonObject? state = null, int? maxParallel = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(new RunSpec { Kind = RunKinds.Graph, Name = graphName, State = state, MaxParallel = maxParallel }, cancellationToken);

    /// <summary>Checks names, agents, dependencies and cycles; returns the step indexes in dependency order.</summary>
    private List<int> Validate(RunSpec spec)
    {
        if (spec.MaxParallel is < 1)
            throw new OrchestraException($"max_parallel must be at least 1, not {spec.MaxParallel}.");
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Steps.Count; i++)
        {
            var s = spec.Steps[i];
            var name = s.Name ?? s.Agent;
            if (!Ids.IsValidName(name))
                throw new OrchestraException($"'{name}' is not a valid task id: use letters, digits, '-', '_' or '.' (at most 64).");
            if (!byName.TryAdd(name, i))
                throw new OrchestraException($"Task id '{name}' is used twice: give each task a unique id.");
            if (spec.Id is null && !HasAgent(s.Agent))
                throw new OrchestraException($"Unknown agent '{s.Agent}' for task '{name}': define it in .orchestra/agents/{s.Agent}.yaml or see 'orchestra agent list'.", ErrorKind.NotFound);
            if (s.MaxAttempts < 1)
                throw new OrchestraException($"Task '{name}': max_attempts must be at least 1, not {s.MaxAttempts}.");
            if (s.Timeout is { } t && t <= TimeSpan.Zero)
                throw new OrchestraException($"Task '{name}': the timeout must be positive.");
            if (s.IdempotencyKey is { Length: 0 or > 200 })
                throw new OrchestraException($"Task '{name}': an idempotency key must have 1 to 200 characters.");
        }
        for (var i = 0; i < spec.Steps.Count; i++)
        {
            var s = spec.Steps[i];
            var name = s.Name ?? s.Agent;
            foreach (var dep in s.DependsOn)
            {
                if (dep == name)
                    throw new OrchestraException($"Task '{name}' depends on itself.");
                if (byName.ContainsKey(dep))
                    continue;
                if (Ids.IsValid(dep) && Ids.IsStep(dep))
                    continue;
                throw new OrchestraException($"Task '{name}' depends on unknown task '{dep}'. Known tasks: {string.Join(", ", byName.Keys)}.", ErrorKind.NotFound);
            }
        }
        return TopologicalOrder(spec, byName);
    }

    private static List<int> TopologicalOrder(RunSpec spec, Dictionary<string, int> byName)
    {
        var order = DependencyOrder.Sort(
            spec.Steps.Count,
            i => spec.Steps[i].DependsOn.Where(byName.ContainsKey).Select(d => byName[d]),
            out var cycle);
        if (order is null)
        {
            var names = cycle!.Select(j => spec.Steps[j].Name ?? spec.Steps[j].Agent);
            throw new OrchestraException($"Dependency cycle: {string.Join(" → ", names)}. Remove one of these depends_on entries.");
        }
        return order;
    }

    private static async ValueTask<Submission?> FindIdempotentAsync(IStoreReader store, RunSpec spec, string?[] hashes, CancellationToken cancellationToken)
    {
        var found = new List<StepRecord>();
        for (var i = 0; i < spec.Steps.Count; i++)
        {
            if (spec.Steps[i].IdempotencyKey is not { } key)
                continue;
            var step = await store.FindByIdempotencyKeyAsync(key, cancellationToken).ConfigureAwait(false);
            if (step is null)
                continue;
            if (step.PayloadHash != hashes[i])
                throw new OrchestraException($"Idempotency key '{key}' was already used for a different task ({step.Id}): use a new key or repeat the same request.", ErrorKind.Conflict);
            found.Add(step);
        }
        if (found.Count == 0)
            return null;
        if (found.Count != spec.Steps.Count)
            throw new OrchestraException("Some idempotency keys of this submission were used before and some were not: submit it whole or with new keys.", ErrorKind.Conflict);
        var run = await store.GetRunAsync(found[0].RunId, cancellationToken).ConfigureAwait(false);
        return new Submission(run!, found, Existing: true);
    }

    private static string PayloadHash(StepSpec s)
    {
        var text = new StringBuilder()
            .Append(s.Name).Append('\0').Append(s.Agent).Append('\0').Append(s.Prompt).Append('\0')
            .Append(string.Join(",", s.DependsOn)).Append('\0').Append(s.Priority).Append('\0')
            .Append(s.Timeout?.Ticks).Append('\0').Append(s.MaxAttempts).Append('\0')
            .Append(s.Input?.ToJsonString()).Append('\0').Append(s.OnDependencyFailure)
            .ToString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }
}
