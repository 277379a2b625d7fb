using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;

namespace Orchestra.Storage.Tests;

/// <summary>
/// The store contract: every backend (in-memory, SQLite, PostgreSQL) runs these tests through a subclass
/// that creates a fresh, empty store for each test. Nothing here may depend on the backend.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    /// <summary>A millisecond-aligned instant: every backend keeps at least millisecond precision.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    private IStore? _store;
    private int _nextId;

    protected IStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>A new, empty store.</summary>
    protected abstract Task<IStore> CreateStoreAsync();

    /// <summary>Removes what <see cref="CreateStoreAsync"/> left behind, after the store was disposed.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
        await CleanupAsync();
    }

    // ---- builders ----

    protected string NewRunId() => "r" + (++_nextId).ToString("D12", CultureInfo.InvariantCulture);

    protected string NewStepId() => "s" + (++_nextId).ToString("D12", CultureInfo.InvariantCulture);

    protected RunRecord NewRun(string? id = null, DateTimeOffset? createdAt = null, RunStatus status = RunStatus.Created) => new()
    {
        Id = id ?? NewRunId(),
        Kind = RunKinds.Plan,
        Name = "plan.yaml",
        Status = status,
        CreatedAt = createdAt ?? T0,
    };

    protected StepRecord NewStep(string runId, string? name = null, StepStatus status = StepStatus.Ready, int priority = 0, string agent = "echo", IReadOnlyList<string>? dependsOn = null) => new()
    {
        Id = NewStepId(),
        RunId = runId,
        Name = name ?? "task",
        Agent = agent,
        Status = status,
        Priority = priority,
        CreatedAt = T0,
        DependsOn = dependsOn ?? [],
    };

    protected ValueTask<T> Tx<T>(Func<IStoreTransaction, ValueTask<T>> work) => Store.TransactAsync(work);

    protected async Task<RunRecord> InsertRunAsync(RunRecord? run = null)
    {
        run ??= NewRun();
        await Tx(async t =>
        {
            await t.InsertRunAsync(run);
            return 0;
        });
        return run;
    }

    protected async Task<StepRecord> InsertStepAsync(StepRecord step) => await Tx(t => t.InsertStepAsync(step));

    protected async Task<List<StepRecord>> InsertStepsAsync(params StepRecord[] steps)
    {
        var stored = new List<StepRecord>();
        await Tx(async t =>
        {
            foreach (var s in steps)
                stored.Add(await t.InsertStepAsync(s));
            return 0;
        });
        return stored;
    }

    protected async Task UpdateStepAsync(StepRecord step) => await Tx(async t =>
    {
        await t.UpdateStepAsync(step);
        return 0;
    });

    protected async Task UpdateRunAsync(RunRecord run) => await Tx(async t =>
    {
        await t.UpdateRunAsync(run);
        return 0;
    });

    protected static void AssertJson(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}");

    private static List<string> Ids(IEnumerable<StepRecord> steps) => steps.Select(s => s.Id).ToList();

    // ---- runs and steps round-trip ----

    [Fact]
    public async Task Run_InsertedThenRead_RoundTripsEveryField()
    {
        var run = new RunRecord
        {
            Id = NewRunId(),
            Kind = RunKinds.Graph,
            Name = "review-loop",
            Status = RunStatus.Failed,
            State = new JsonObject { ["count"] = 3, ["notes"] = new JsonArray("a", "é ✓"), ["nested"] = new JsonObject { ["ok"] = true, ["none"] = null } },
            Graph = new JsonObject { ["fired"] = new JsonObject { ["e1"] = 2 } },
            MaxParallel = 4,
            OnDependencyFailure = DependencyFailurePolicy.Skip,
            CreatedAt = T0,
            StartedAt = T0.AddSeconds(1),
            FinishedAt = T0.AddMinutes(2),
            Error = "the loop exceeded max_loops 3",
        };
        await InsertRunAsync(run);

        foreach (var read in new[] { await Store.GetRunAsync(run.Id), await Tx(t => t.GetRunAsync(run.Id)) })
        {
            Assert.NotNull(read);
            Assert.Equal(run.Id, read.Id);
            Assert.Equal(run.Kind, read.Kind);
            Assert.Equal(run.Name, read.Name);
            Assert.Equal(run.Status, read.Status);
            AssertJson(run.State, read.State);
            AssertJson(run.Graph, read.Graph);
            Assert.Equal(run.MaxParallel, read.MaxParallel);
            Assert.Equal(run.OnDependencyFailure, read.OnDependencyFailure);
            Assert.Equal(run.CreatedAt, read.CreatedAt);
            Assert.Equal(run.StartedAt, read.StartedAt);
            Assert.Equal(run.FinishedAt, read.FinishedAt);
            Assert.Equal(run.Error, read.Error);
        }
    }

    [Fact]
    public async Task Run_WithOptionalFieldsUnset_ReadsBackWithThemUnset()
    {
        var run = await InsertRunAsync(new RunRecord { Id = NewRunId(), Kind = RunKinds.Task, CreatedAt = T0 });

        var read = await Store.GetRunAsync(run.Id);

        Assert.NotNull(read);
        Assert.Equal("", read.Name);
        Assert.Equal(RunStatus.Created, read.Status);
        AssertJson(new JsonObject(), read.State);
        AssertJson(new JsonObject(), read.Graph);
        Assert.Null(read.MaxParallel);
        Assert.Equal(DependencyFailurePolicy.Fail, read.OnDependencyFailure);
        Assert.Null(read.StartedAt);
        Assert.Null(read.FinishedAt);
        Assert.Null(read.Error);
    }

    [Fact]
    public async Task Step_InsertedThenRead_RoundTripsEveryField()
    {
        var run = await InsertRunAsync();
        var dep1 = await InsertStepAsync(NewStep(run.Id, "dep1"));
        var dep2 = await InsertStepAsync(NewStep(run.Id, "dep2"));
        var step = new StepRecord
        {
            Id = NewStepId(),
            RunId = run.Id,
            Name = "review",
            Agent = "claude",
            Prompt = "Review the change.\nLine two: ünïcode ✓",
            Input = new JsonObject { ["files"] = new JsonArray("a.cs", "b.cs"), ["depth"] = 2 },
            Node = "review",
            Status = StepStatus.Running,
            Priority = -7,
            PendingDependencies = 1,
            OnDependencyFailure = DependencyFailurePolicy.Skip,
            Attempt = 2,
            MaxAttempts = 5,
            Timeout = TimeSpan.FromMinutes(30),
            DeadlineAt = T0.AddMinutes(31),
            NotBefore = T0.AddSeconds(5),
            LeaseOwner = "host-1/4242",
            LeaseExpiresAt = T0.AddSeconds(30),
            IdempotencyKey = "review-123",
            PayloadHash = "0123456789abcdef0123456789abcdef",
            Handle = "pid:4243",
            Output = "Looks good.",
            Result = new JsonObject { ["verdict"] = "approve", ["score"] = 0.93 },
            Error = "previous attempt: rate limited",
            FailureKind = FailureKind.Transient,
            Usage = new Usage { InputTokens = 12_345_678_901, OutputTokens = 456, CachedTokens = 78, CostUsd = 0.012345678m },
            LostAttempts = 2,
            CreatedAt = T0,
            StartedAt = T0.AddSeconds(1),
            AttemptStartedAt = T0.AddSeconds(2),
            FinishedAt = T0.AddSeconds(3),
            Seq = 999_999,
            DependsOn = [dep2.Id, dep1.Id],
        };
        var inserted = await InsertStepAsync(step);

        Assert.True(inserted.Seq > dep2.Seq);
        Assert.Equal([dep2.Id, dep1.Id], inserted.DependsOn);
        foreach (var read in new[] { await Store.GetStepAsync(step.Id), await Tx(t => t.GetStepAsync(step.Id)) })
        {
            Assert.NotNull(read);
            Assert.Equal(inserted.Seq, read.Seq);
            Assert.Equal(step.Id, read.Id);
            Assert.Equal(step.RunId, read.RunId);
            Assert.Equal(step.Name, read.Name);
            Assert.Equal(step.Agent, read.Agent);
            Assert.Equal(step.Prompt, read.Prompt);
            AssertJson(step.Input, read.Input);
            Assert.Equal(step.Node, read.Node);
            Assert.Equal(step.Status, read.Status);
            Assert.Equal(step.Priority, read.Priority);
            Assert.Equal(step.PendingDependencies, read.PendingDependencies);
            Assert.Equal(step.OnDependencyFailure, read.OnDependencyFailure);
            Assert.Equal(step.Attempt, read.Attempt);
            Assert.Equal(step.MaxAttempts, read.MaxAttempts);
            Assert.Equal(step.Timeout, read.Timeout);
            Assert.Equal(step.DeadlineAt, read.DeadlineAt);
            Assert.Equal(step.NotBefore, read.NotBefore);
            Assert.Equal(step.LeaseOwner, read.LeaseOwner);
            Assert.Equal(step.LeaseExpiresAt, read.LeaseExpiresAt);
            Assert.Equal(step.IdempotencyKey, read.IdempotencyKey);
            Assert.Equal(step.PayloadHash, read.PayloadHash);
            Assert.Equal(step.Handle, read.Handle);
            Assert.Equal(step.Output, read.Output);
            AssertJson(step.Result, read.Result);
            Assert.Equal(step.Error, read.Error);
            Assert.Equal(step.FailureKind, read.FailureKind);
            Assert.Equal(step.Usage, read.Usage);
            Assert.Equal(0.012345678m, read.Usage.CostUsd);
            Assert.Equal(step.LostAttempts, read.LostAttempts);
            Assert.Equal(step.CreatedAt, read.CreatedAt);
            Assert.Equal(step.StartedAt, read.StartedAt);
            Assert.Equal(step.AttemptStartedAt, read.AttemptStartedAt);
            Assert.Equal(step.FinishedAt, read.FinishedAt);
            Assert.Equal([dep2.Id, dep1.Id], read.DependsOn);
        }
    }

    [Fact]
    public async Task Step_WithOptionalFieldsUnset_ReadsBackWithThemUnset()
    {
        var run = await InsertRunAsync();
        var step = await InsertStepAsync(new StepRecord { Id = NewStepId(), RunId = run.Id, Name = "t", Agent = "echo", CreatedAt = T0 });

        var read = await Store.GetStepAsync(step.Id);

        Assert.NotNull(read);
        Assert.Equal("", read.Prompt);
        Assert.Null(read.Input);
        Assert.Null(read.Node);
        Assert.Equal(StepStatus.Pending, read.Status);
        Assert.Equal(1, read.MaxAttempts);
        Assert.Null(read.Timeout);
        Assert.Null(read.DeadlineAt);
        Assert.Null(read.NotBefore);
        Assert.Null(read.LeaseOwner);
        Assert.Null(read.LeaseExpiresAt);
        Assert.Null(read.IdempotencyKey);
        Assert.Null(read.PayloadHash);
        Assert.Null(read.Handle);
        Assert.Null(read.Output);
        Assert.Null(read.Result);
        Assert.Null(read.Error);
        Assert.Equal(FailureKind.None, read.FailureKind);
        Assert.True(read.Usage.IsEmpty);
        Assert.Equal(0, read.LostAttempts);
        Assert.Null(read.StartedAt);
        Assert.Null(read.AttemptStartedAt);
        Assert.Null(read.FinishedAt);
        Assert.Empty(read.DependsOn);
    }

    [Fact]
    public async Task Step_WithAScalarResult_RoundTripsIt()
    {
        var run = await InsertRunAsync();
        var step = await InsertStepAsync(NewStep(run.Id) with { Result = JsonValue.Create("plain text") });

        var read = await Store.GetStepAsync(step.Id);

        AssertJson(JsonValue.Create("plain text"), read!.Result);
    }

    [Fact]
    public async Task Timestamps_KeepAtLeastMillisecondPrecision()
    {
        var run = await InsertRunAsync();
        var precise = T0.AddTicks(4_567); // 0.4567 ms past T0
        var step = await InsertStepAsync(NewStep(run.Id) with { CreatedAt = precise, NotBefore = T0.AddMilliseconds(1) });

        var read = await Store.GetStepAsync(step.Id);

        Assert.True((read!.CreatedAt - precise).Duration() < TimeSpan.FromMilliseconds(1), $"{read.CreatedAt:O} is not within 1 ms of {precise:O}");
        Assert.Equal(T0.AddMilliseconds(1), read.NotBefore);
        Assert.Equal(TimeSpan.Zero, read.NotBefore!.Value.Offset);
    }

    [Fact]
    public async Task GetStep_OfAnUnknownId_ReturnsNull()
    {
        Assert.Null(await Store.GetStepAsync("s000000000000"));
        Assert.Null(await Store.GetRunAsync("r000000000000"));
    }

    [Fact]
    public async Task UpdateStep_ReplacesTheRow_ButKeepsItsSeqAndDependencies()
    {
        var run = await InsertRunAsync();
        var dep = await InsertStepAsync(NewStep(run.Id, "dep"));
        var step = await InsertStepAsync(NewStep(run.Id, "main", StepStatus.Pending, dependsOn: [dep.Id]) with { PendingDependencies = 1 });

        await UpdateStepAsync(step with
        {
            Status = StepStatus.Ready,
            PendingDependencies = 0,
            Seq = 12345,
            DependsOn = [],
            Output = "x",
            Usage = new Usage { InputTokens = 1, CostUsd = 1.5m },
        });

        var read = await Store.GetStepAsync(step.Id);
        Assert.Equal(StepStatus.Ready, read!.Status);
        Assert.Equal(0, read.PendingDependencies);
        Assert.Equal(step.Seq, read.Seq);
        Assert.Equal([dep.Id], read.DependsOn);
        Assert.Equal("x", read.Output);
        Assert.Equal(1.5m, read.Usage.CostUsd);
    }

    [Fact]
    public async Task UpdateRun_ReplacesTheRow()
    {
        var run = await InsertRunAsync();

        await UpdateRunAsync(run with { Status = RunStatus.Running, State = new JsonObject { ["k"] = "v" }, StartedAt = T0.AddSeconds(1) });

        var read = await Store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Running, read!.Status);
        AssertJson(new JsonObject { ["k"] = "v" }, read.State);
        Assert.Equal(T0.AddSeconds(1), read.StartedAt);
    }

    [Fact]
    public async Task Update_OfAMissingStepOrRun_Throws()
    {
        var run = await InsertRunAsync();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => UpdateStepAsync(NewStep(run.Id)));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => UpdateRunAsync(NewRun()));
    }

    [Fact]
    public async Task InsertRun_WithAnIdInUse_Throws()
    {
        var run = await InsertRunAsync();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => InsertRunAsync(run));
    }

    [Fact]
    public async Task Seq_IsAssignedByTheStore_AndStrictlyIncreasing()
    {
        var run = await InsertRunAsync();
        var first = await InsertStepsAsync(NewStep(run.Id) with { Seq = 500 }, NewStep(run.Id) with { Seq = 400 }, NewStep(run.Id));
        var second = await InsertStepsAsync(NewStep(run.Id) with { Seq = 1 }, NewStep(run.Id));

        var seqs = first.Concat(second).Select(s => s.Seq).ToList();
        Assert.All(seqs, s => Assert.True(s > 0));
        for (var i = 1; i < seqs.Count; i++)
            Assert.True(seqs[i] > seqs[i - 1], $"seq {seqs[i]} follows {seqs[i - 1]}");
        foreach (var s in first.Concat(second))
            Assert.Equal(s.Seq, (await Store.GetStepAsync(s.Id))!.Seq);
    }

    // ---- claiming ----

    [Fact]
    public async Task ListClaimable_OrdersByPriorityDescending_ThenFirstInFirstOut()
    {
        var run = await InsertRunAsync();
        var steps = await InsertStepsAsync(
            NewStep(run.Id, "low1", priority: 0),
            NewStep(run.Id, "high1", priority: 5),
            NewStep(run.Id, "neg", priority: -1),
            NewStep(run.Id, "low2", priority: 0),
            NewStep(run.Id, "high2", priority: 5),
            NewStep(run.Id, "mid", priority: 1));

        var claimable = await Store.ListClaimableAsync(T0, 100);

        Assert.Equal(["high1", "high2", "mid", "low1", "low2", "neg"], claimable.Select(s => s.Name));
        Assert.Equal(Ids(claimable), Ids(await Tx(t => t.ListClaimableAsync(T0, 100))));
        Assert.Equal(steps.Single(s => s.Name == "mid").Seq, claimable.Single(s => s.Name == "mid").Seq);
    }

    [Fact]
    public async Task ListClaimable_SkipsStepsWhoseBackoffHasNotPassed()
    {
        var run = await InsertRunAsync();
        await InsertStepsAsync(
            NewStep(run.Id, "due-earlier") with { NotBefore = T0.AddSeconds(-1) },
            NewStep(run.Id, "due-now") with { NotBefore = T0 },
            NewStep(run.Id, "later", priority: 9) with { NotBefore = T0.AddMilliseconds(1) },
            NewStep(run.Id, "plain"));

        var claimable = await Store.ListClaimableAsync(T0, 100);

        Assert.Equal(["due-earlier", "due-now", "plain"], claimable.Select(s => s.Name));
        Assert.Equal(["later", "due-earlier", "due-now", "plain"], (await Store.ListClaimableAsync(T0.AddSeconds(1), 100)).Select(s => s.Name));
    }

    [Fact]
    public async Task ListClaimable_SkipsStepsOfPausedRuns()
    {
        var paused = await InsertRunAsync(NewRun(status: RunStatus.Paused));
        var active = await InsertRunAsync(NewRun(status: RunStatus.Running));
        await InsertStepsAsync(NewStep(paused.Id, "p", priority: 10), NewStep(active.Id, "a"));

        Assert.Equal(["a"], (await Store.ListClaimableAsync(T0, 100)).Select(s => s.Name));

        await UpdateRunAsync(paused with { Status = RunStatus.Running });
        Assert.Equal(["p", "a"], (await Store.ListClaimableAsync(T0, 100)).Select(s => s.Name));
    }

    [Fact]
    public async Task ListClaimable_ReturnsReadyStepsOnly()
    {
        var run = await InsertRunAsync();
        var steps = new List<StepRecord>();
        foreach (var status in Enum.GetValues<StepStatus>())
            steps.Add(NewStep(run.Id, status.ToWire(), status));
        await InsertStepsAsync([.. steps]);

        Assert.Equal(["ready"], (await Store.ListClaimableAsync(T0, 100)).Select(s => s.Name));
    }

    [Fact]
    public async Task ListClaimable_RespectsTheLimit()
    {
        var run = await InsertRunAsync();
        var steps = await InsertStepsAsync(Enumerable.Range(0, 10).Select(i => NewStep(run.Id, "t" + i)).ToArray());

        var claimable = await Store.ListClaimableAsync(T0, 3);

        Assert.Equal(Ids(steps.Take(3)), Ids(claimable));
    }

    [Fact]
    public async Task NextBackoff_IsTheEarliestNotBeforeAmongReadySteps()
    {
        var run = await InsertRunAsync();
        Assert.Null(await Store.NextBackoffAsync());

        await InsertStepsAsync(
            NewStep(run.Id, "plain"),
            NewStep(run.Id, "running", StepStatus.Running) with { NotBefore = T0.AddSeconds(1) },
            NewStep(run.Id, "later") with { NotBefore = T0.AddSeconds(30) },
            NewStep(run.Id, "sooner") with { NotBefore = T0.AddSeconds(10) });

        Assert.Equal(T0.AddSeconds(10), await Store.NextBackoffAsync());
        Assert.Equal(T0.AddSeconds(10), await Tx(t => t.NextBackoffAsync()));
    }

    [Fact]
    public async Task ListExpiredLeases_ReturnsRunningStepsWhoseLeaseEndedBeforeNow()
    {
        var run = await InsertRunAsync();
        await InsertStepsAsync(
            NewStep(run.Id, "expired", StepStatus.Running) with { LeaseOwner = "w1", LeaseExpiresAt = T0.AddSeconds(-1) },
            NewStep(run.Id, "ends-now", StepStatus.Running) with { LeaseOwner = "w1", LeaseExpiresAt = T0 },
            NewStep(run.Id, "alive", StepStatus.Running) with { LeaseOwner = "w2", LeaseExpiresAt = T0.AddSeconds(10) },
            NewStep(run.Id, "not-running", StepStatus.Ready) with { LeaseExpiresAt = T0.AddSeconds(-5) });

        Assert.Equal(["expired"], (await Store.ListExpiredLeasesAsync(T0)).Select(s => s.Name));
        Assert.Equal(["ends-now", "expired"], (await Tx(t => t.ListExpiredLeasesAsync(T0.AddMilliseconds(1)))).Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CountRunning_CountsInAllPerAgentAndPerRun()
    {
        var r1 = await InsertRunAsync();
        var r2 = await InsertRunAsync();
        await InsertStepsAsync(
            NewStep(r1.Id, status: StepStatus.Running, agent: "a"),
            NewStep(r1.Id, status: StepStatus.Running, agent: "b"),
            NewStep(r2.Id, status: StepStatus.Running, agent: "a"),
            NewStep(r2.Id, status: StepStatus.Ready, agent: "a"),
            NewStep(r2.Id, status: StepStatus.Succeeded, agent: "b"));

        foreach (var counts in new[] { await Store.CountRunningAsync(), await Tx(t => t.CountRunningAsync()) })
        {
            Assert.Equal(3, counts.Total);
            Assert.Equal(2, counts.ByAgent["a"]);
            Assert.Equal(1, counts.ByAgent["b"]);
            Assert.Equal(2, counts.ByRun[r1.Id]);
            Assert.Equal(1, counts.ByRun[r2.Id]);
        }
    }

    [Fact]
    public async Task CountRunning_WithNothingRunning_IsZero()
    {
        var counts = await Store.CountRunningAsync();

        Assert.Equal(0, counts.Total);
        Assert.Empty(counts.ByAgent);
        Assert.Empty(counts.ByRun);
    }

    // ---- run summaries ----

    [Fact]
    public async Task Summarize_CountsStepsPerStatus_OverAllRunsOrOne()
    {
        var r1 = await InsertRunAsync();
        var r2 = await InsertRunAsync();
        await InsertStepsAsync(
            NewStep(r1.Id, status: StepStatus.Succeeded),
            NewStep(r1.Id, status: StepStatus.Succeeded),
            NewStep(r1.Id, status: StepStatus.Failed),
            NewStep(r2.Id, status: StepStatus.Succeeded),
            NewStep(r2.Id, status: StepStatus.TimedOut));

        var all = await Store.SummarizeAsync();
        Assert.Equal(3, all[StepStatus.Succeeded]);
        Assert.Equal(1, all[StepStatus.Failed]);
        Assert.Equal(1, all[StepStatus.TimedOut]);
        Assert.Equal(0, all[StepStatus.Running]);

        var one = await Tx(t => t.SummarizeAsync(r1.Id));
        Assert.Equal(2, one[StepStatus.Succeeded]);
        Assert.Equal(1, one[StepStatus.Failed]);
        Assert.Equal(0, one[StepStatus.TimedOut]);
        Assert.Equal(3, one.Counts.Values.Sum());
    }

    [Fact]
    public async Task HasOpenSteps_IsTrueUntilEveryStepIsTerminal()
    {
        var run = await InsertRunAsync();
        Assert.False(await Store.HasOpenStepsAsync(run.Id));

        foreach (var open in new[] { StepStatus.Pending, StepStatus.Ready, StepStatus.Running, StepStatus.Waiting })
        {
            var step = await InsertStepAsync(NewStep(run.Id, status: open));
            Assert.True(await Store.HasOpenStepsAsync(run.Id), open.ToWire());
            Assert.True(await Tx(t => t.HasOpenStepsAsync(run.Id)), open.ToWire());
            await UpdateStepAsync(step with { Status = StepStatus.Succeeded });
        }
        await InsertStepsAsync(Statuses.TerminalSteps.Select(s => NewStep(run.Id, status: s)).ToArray());
        Assert.False(await Store.HasOpenStepsAsync(run.Id));
    }

    [Fact]
    public async Task RunScopedReads_SeeOnlyCommittedStepsOfThatRun()
    {
        var run = await InsertRunAsync();
        var other = await InsertRunAsync();
        var kept = await InsertStepAsync(NewStep(run.Id, "kept", StepStatus.Succeeded));
        await InsertStepAsync(NewStep(other.Id, "elsewhere", StepStatus.Failed));

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => Tx<int>(async t =>
        {
            await t.InsertStepAsync(NewStep(run.Id, "rolled-back", StepStatus.Running));
            throw new InvalidTimeZoneException("boom");
        }).AsTask());

        Assert.Equal([kept.Id], (await Store.ListStepsAsync(new StepQuery { RunId = run.Id })).Select(s => s.Id));
        Assert.False(await Store.HasOpenStepsAsync(run.Id));
        Assert.False(await Store.HasFailedStepsAsync(run.Id));
        Assert.Equal(1, (await Store.SummarizeAsync(run.Id)).Counts.Values.Sum());

        await Tx(async t =>
        {
            await t.DeleteRunAsync(other.Id);
            return 0;
        });
        Assert.Empty(await Store.ListStepsAsync(new StepQuery { RunId = other.Id }));
        Assert.False(await Store.HasFailedStepsAsync(other.Id));
        Assert.Single(await Store.ListStepsAsync(new StepQuery()));
    }

    [Fact]
    public async Task HasFailedSteps_IsTrueForFailedOrTimedOutStepsOnly()
    {
        var run = await InsertRunAsync();
        await InsertStepsAsync(
            NewStep(run.Id, status: StepStatus.Succeeded),
            NewStep(run.Id, status: StepStatus.Cancelled),
            NewStep(run.Id, status: StepStatus.Skipped));
        Assert.False(await Store.HasFailedStepsAsync(run.Id));

        var failed = await InsertStepAsync(NewStep(run.Id, status: StepStatus.Failed));
        Assert.True(await Store.HasFailedStepsAsync(run.Id));

        await UpdateStepAsync(failed with { Status = StepStatus.TimedOut });
        Assert.True(await Tx(t => t.HasFailedStepsAsync(run.Id)));

        var other = await InsertRunAsync();
        Assert.False(await Store.HasFailedStepsAsync(other.Id));
    }

    // ---- dependencies, keys, prefixes ----

    [Fact]
    public async Task GetDependants_ListsTheStepsThatDependOnAStep_InInsertionOrder()
    {
        var run = await InsertRunAsync();
        var a = await InsertStepAsync(NewStep(run.Id, "a"));
        var b = await InsertStepAsync(NewStep(run.Id, "b"));
        var d2 = await InsertStepAsync(NewStep(run.Id, "d2", StepStatus.Pending, dependsOn: [b.Id, a.Id]));
        var d1 = await InsertStepAsync(NewStep(run.Id, "d1", StepStatus.Pending, dependsOn: [a.Id]));

        Assert.Equal([d2.Id, d1.Id], await Store.GetDependantsAsync(a.Id));
        Assert.Equal([d2.Id], await Tx(t => t.GetDependantsAsync(b.Id)));
        Assert.Empty(await Store.GetDependantsAsync(d1.Id));
    }

    [Fact]
    public async Task ListSteps_FillsDependencies_OnlyWhenAskedTo()
    {
        var run = await InsertRunAsync();
        var a = await InsertStepAsync(NewStep(run.Id, "a"));
        var b = await InsertStepAsync(NewStep(run.Id, "b"));
        var c = await InsertStepAsync(NewStep(run.Id, "c", dependsOn: [b.Id, a.Id]));

        Assert.Equal([b.Id, a.Id], (await Store.GetStepAsync(c.Id))!.DependsOn);
        var listed = await Store.ListStepsAsync(new StepQuery { RunId = run.Id, IncludeDependencies = true });
        Assert.Equal([[], [], [b.Id, a.Id]], listed.Select(s => s.DependsOn.ToArray()));
        var inTx = await Tx(t => t.ListStepsAsync(new StepQuery { RunId = run.Id, Limit = 1, IncludeDependencies = true }));
        Assert.Equal([b.Id, a.Id], Assert.Single(inTx).DependsOn);
    }

    [Fact]
    public async Task FindByIdempotencyKey_FindsTheStepCreatedWithTheKey()
    {
        var run = await InsertRunAsync();
        var dep = await InsertStepAsync(NewStep(run.Id, "dep"));
        var keyed = await InsertStepAsync(NewStep(run.Id, "keyed", dependsOn: [dep.Id]) with { IdempotencyKey = "order-42", PayloadHash = "h1" });

        var found = await Store.FindByIdempotencyKeyAsync("order-42");

        Assert.Equal(keyed.Id, found!.Id);
        Assert.Equal("h1", found.PayloadHash);
        Assert.Equal([dep.Id], found.DependsOn);
        Assert.Equal(keyed.Id, (await Tx(t => t.FindByIdempotencyKeyAsync("order-42")))!.Id);
        Assert.Null(await Store.FindByIdempotencyKeyAsync("order-43"));
    }

    [Fact]
    public async Task InsertStep_WithAnIdempotencyKeyInUse_Throws_AndWritesNothing()
    {
        var run = await InsertRunAsync();
        await InsertStepAsync(NewStep(run.Id, "first") with { IdempotencyKey = "k" });
        var second = NewStep(run.Id, "second");
        var third = NewStep(run.Id, "third") with { IdempotencyKey = "k" };

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => InsertStepsAsync(second, third));

        Assert.Null(await Store.GetStepAsync(second.Id));
        Assert.Null(await Store.GetStepAsync(third.Id));
        Assert.Single(await Store.ListStepsAsync(new StepQuery { RunId = run.Id }));
    }

    [Fact]
    public async Task StepsWithoutAnIdempotencyKey_DoNotConflict()
    {
        var run = await InsertRunAsync();

        await InsertStepsAsync(NewStep(run.Id), NewStep(run.Id), NewStep(run.Id));

        Assert.Equal(3, (await Store.ListStepsAsync(new StepQuery())).Count);
    }

    [Fact]
    public async Task FindIdsByPrefix_FindsRunsAndSteps_InOrdinalOrder_UpToTheLimit()
    {
        var run = await InsertRunAsync(NewRun("rabc000000002"));
        await InsertRunAsync(NewRun("rabd000000001"));
        await InsertStepsAsync(
            NewStep(run.Id) with { Id = "sabc000000001" },
            NewStep(run.Id) with { Id = "sabc000000003" },
            NewStep(run.Id) with { Id = "sab0000000009" });

        Assert.Equal(["rabc000000002"], await Store.FindIdsByPrefixAsync("rabc", 10));
        Assert.Equal(["rabc000000002", "rabd000000001"], await Store.FindIdsByPrefixAsync("rab", 10));
        Assert.Equal(["sab0000000009", "sabc000000001", "sabc000000003"], await Store.FindIdsByPrefixAsync("sab", 10));
        Assert.Equal(["sab0000000009", "sabc000000001"], await Tx(t => t.FindIdsByPrefixAsync("sab", 2)));
        Assert.Equal(["sabc000000003"], await Store.FindIdsByPrefixAsync("sabc000000003", 10));
        Assert.Empty(await Store.FindIdsByPrefixAsync("sabz", 10));
    }

    // ---- events ----

    [Fact]
    public async Task ListEvents_ReturnsEventsAfterASequenceNumber_ForOneRunOrAll()
    {
        var r1 = await InsertRunAsync();
        var r2 = await InsertRunAsync();
        var seqs = await Tx(async t =>
        {
            var list = new List<long>();
            for (var i = 0; i < 3; i++)
            {
                list.Add(await t.AppendEventAsync(new RunEvent { RunId = r1.Id, Type = EventTypes.StepStarted, StepId = "s1", At = T0.AddSeconds(i), Data = new JsonObject { ["i"] = i } }));
                list.Add(await t.AppendEventAsync(new RunEvent { RunId = r2.Id, Type = EventTypes.RunStatus, At = T0 }));
            }
            return list;
        });
        for (var i = 1; i < seqs.Count; i++)
            Assert.True(seqs[i] > seqs[i - 1]);

        var all = await Store.ListEventsAsync(null, 0, 100);
        Assert.Equal(seqs, all.Select(e => e.Seq));

        var ofR1 = await Store.ListEventsAsync(r1.Id, 0, 100);
        Assert.Equal([seqs[0], seqs[2], seqs[4]], ofR1.Select(e => e.Seq));
        Assert.All(ofR1, e => Assert.Equal("s1", e.StepId));
        Assert.Equal(EventTypes.StepStarted, ofR1[1].Type);
        Assert.Equal(T0.AddSeconds(1), ofR1[1].At);
        AssertJson(new JsonObject { ["i"] = 1 }, ofR1[1].Data);

        var ofR2 = await Tx(t => t.ListEventsAsync(r2.Id, seqs[1], 100));
        Assert.Equal([seqs[3], seqs[5]], ofR2.Select(e => e.Seq));
        Assert.Null(ofR2[0].StepId);
        Assert.Null(ofR2[0].Data);

        Assert.Equal([seqs[3], seqs[4]], (await Store.ListEventsAsync(null, seqs[2], 2)).Select(e => e.Seq));
        Assert.Empty(await Store.ListEventsAsync(null, seqs[^1], 100));
    }

    // ---- listing ----

    [Fact]
    public async Task ListSteps_FiltersByRunNodeStatusesAndFinishTime()
    {
        var r1 = await InsertRunAsync();
        var r2 = await InsertRunAsync();
        var steps = await InsertStepsAsync(
            NewStep(r1.Id, "a", StepStatus.Succeeded) with { Node = "plan", FinishedAt = T0.AddSeconds(1) },
            NewStep(r1.Id, "b", StepStatus.Failed) with { Node = "review", FinishedAt = T0.AddSeconds(5) },
            NewStep(r1.Id, "c", StepStatus.Ready) with { Node = "review" },
            NewStep(r2.Id, "d", StepStatus.Succeeded) with { Node = "review", FinishedAt = T0.AddSeconds(2) },
            NewStep(r2.Id, "e", StepStatus.Running));

        async Task<List<string>> Names(StepQuery q) => (await Store.ListStepsAsync(q)).Select(s => s.Name).ToList();

        Assert.Equal(["a", "b", "c", "d", "e"], await Names(new StepQuery()));
        Assert.Equal(["a", "b", "c"], await Names(new StepQuery { RunId = r1.Id }));
        Assert.Equal(["b", "c"], await Names(new StepQuery { RunId = r1.Id, Node = "review" }));
        Assert.Equal(["b", "c", "d"], await Names(new StepQuery { Node = "review" }));
        Assert.Equal(["c"], await Names(new StepQuery { RunId = r1.Id, Node = "review", Statuses = [StepStatus.Ready, StepStatus.Running] }));
        Assert.Equal(["a", "d", "e"], await Names(new StepQuery { Statuses = [StepStatus.Running, StepStatus.Succeeded] }));
        Assert.Equal(["a", "d"], await Names(new StepQuery { FinishedBefore = T0.AddSeconds(5) }));
        Assert.Equal(["d"], await Names(new StepQuery { RunId = r2.Id, FinishedBefore = T0.AddSeconds(5), Statuses = [StepStatus.Succeeded] }));
        Assert.Empty(await Names(new StepQuery { Statuses = [] }));
        Assert.Equal(Ids(steps.Where(s => s.RunId == r2.Id)), Ids(await Tx(t => t.ListStepsAsync(new StepQuery { RunId = r2.Id }))));
        Assert.All(await Store.ListStepsAsync(new StepQuery()), s => Assert.True(s.Seq > 0));
    }

    [Fact]
    public async Task ListSteps_WithALimit_ReturnsTheNewestInCreationOrder()
    {
        var run = await InsertRunAsync();
        var steps = await InsertStepsAsync(Enumerable.Range(0, 6).Select(i => NewStep(run.Id, "t" + i, i % 2 == 0 ? StepStatus.Succeeded : StepStatus.Ready)).ToArray());

        Assert.Equal(Ids(steps.Skip(4)), Ids(await Store.ListStepsAsync(new StepQuery { Limit = 2 })));
        Assert.Equal(["t2", "t4"], (await Store.ListStepsAsync(new StepQuery { RunId = run.Id, Statuses = [StepStatus.Succeeded], Limit = 2 })).Select(s => s.Name));
        Assert.Equal(Ids(steps), Ids(await Store.ListStepsAsync(new StepQuery { Limit = 100 })));
    }

    [Fact]
    public async Task ListRuns_ReturnsTheNewestFirst_UpToTheLimit()
    {
        var older = await InsertRunAsync(NewRun(createdAt: T0));
        var newest = await InsertRunAsync(NewRun(createdAt: T0.AddMinutes(2)));
        var middle = await InsertRunAsync(NewRun(createdAt: T0.AddMinutes(1)));

        Assert.Equal([newest.Id, middle.Id, older.Id], (await Store.ListRunsAsync(10)).Select(r => r.Id));
        Assert.Equal([newest.Id, middle.Id], (await Tx(t => t.ListRunsAsync(2))).Select(r => r.Id));
    }

    [Fact]
    public async Task DeleteRun_RemovesItsStepsEdgesAndEvents_AndNothingElse()
    {
        var doomed = await InsertRunAsync();
        var kept = await InsertRunAsync();
        var a = await InsertStepAsync(NewStep(doomed.Id, "a") with { IdempotencyKey = "gone" });
        var b = await InsertStepAsync(NewStep(doomed.Id, "b", dependsOn: [a.Id]));
        var k = await InsertStepAsync(NewStep(kept.Id, "k"));
        await Tx(async t =>
        {
            await t.AppendEventAsync(new RunEvent { RunId = doomed.Id, Type = EventTypes.RunCreated, At = T0 });
            return await t.AppendEventAsync(new RunEvent { RunId = kept.Id, Type = EventTypes.RunCreated, At = T0 });
        });

        await Tx(async t =>
        {
            await t.DeleteRunAsync(doomed.Id);
            return 0;
        });

        Assert.Null(await Store.GetRunAsync(doomed.Id));
        Assert.Null(await Store.GetStepAsync(a.Id));
        Assert.Null(await Store.GetStepAsync(b.Id));
        Assert.Null(await Store.FindByIdempotencyKeyAsync("gone"));
        Assert.Empty(await Store.GetDependantsAsync(a.Id));
        Assert.Empty(await Store.ListEventsAsync(doomed.Id, 0, 100));
        Assert.Empty(await Store.ListStepsAsync(new StepQuery { RunId = doomed.Id }));
        Assert.NotNull(await Store.GetRunAsync(kept.Id));
        Assert.NotNull(await Store.GetStepAsync(k.Id));
        Assert.Single(await Store.ListEventsAsync(null, 0, 100));

        // The key is free again.
        await InsertStepAsync(NewStep(kept.Id) with { IdempotencyKey = "gone" });
    }

    // ---- transactions ----

    [Fact]
    public async Task Transaction_ReturnsWhatItsWorkReturns_AndSeesItsOwnWrites()
    {
        var result = await Tx(async t =>
        {
            var run = NewRun();
            await t.InsertRunAsync(run);
            var step = await t.InsertStepAsync(NewStep(run.Id));
            var seen = await t.GetStepAsync(step.Id);
            var claimable = await t.ListClaimableAsync(T0, 10);
            return (seen?.Id == step.Id && claimable.Count == 1) ? "saw it" : "missed it";
        });

        Assert.Equal("saw it", result);
    }

    [Fact]
    public async Task Transaction_WhenWorkThrows_RollsBackEverything()
    {
        var run = await InsertRunAsync();
        var existing = await InsertStepAsync(NewStep(run.Id, "existing"));
        var newRun = NewRun();
        var newStep = NewStep(run.Id, "new", dependsOn: [existing.Id]) with { IdempotencyKey = "rolled-back" };

        var thrown = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => Tx<int>(async t =>
        {
            await t.InsertRunAsync(newRun);
            await t.InsertStepAsync(newStep);
            await t.UpdateStepAsync(existing with { Status = StepStatus.Running, LeaseOwner = "w" });
            await t.UpdateRunAsync(run with { Status = RunStatus.Running, State = new JsonObject { ["x"] = 1 } });
            await t.AppendEventAsync(new RunEvent { RunId = run.Id, Type = EventTypes.StepStarted, At = T0 });
            throw new InvalidTimeZoneException("boom");
        }).AsTask());

        Assert.Equal("boom", thrown.Message);
        Assert.Null(await Store.GetRunAsync(newRun.Id));
        Assert.Null(await Store.GetStepAsync(newStep.Id));
        Assert.Null(await Store.FindByIdempotencyKeyAsync("rolled-back"));
        Assert.Empty(await Store.GetDependantsAsync(existing.Id));
        var step = await Store.GetStepAsync(existing.Id);
        Assert.Equal(StepStatus.Ready, step!.Status);
        Assert.Null(step.LeaseOwner);
        var runRead = await Store.GetRunAsync(run.Id);
        Assert.Equal(RunStatus.Created, runRead!.Status);
        AssertJson(new JsonObject(), runRead.State);
        Assert.Empty(await Store.ListEventsAsync(null, 0, 100));

        // The store is usable afterwards, and the key is still free.
        await InsertStepAsync(NewStep(run.Id) with { IdempotencyKey = "rolled-back" });
    }

    [Fact]
    public async Task Transactions_RunOneAtATime()
    {
        var run = await InsertRunAsync(NewRun() with { State = new JsonObject { ["n"] = 0 } });

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await Tx(async t =>
            {
                var current = (await t.GetRunAsync(run.Id))!;
                var n = current.State["n"]!.GetValue<int>();
                await Task.Yield();
                await t.UpdateRunAsync(current with { State = new JsonObject { ["n"] = n + 1 } });
                return 0;
            });
        })));

        Assert.Equal(20, (await Store.GetRunAsync(run.Id))!.State["n"]!.GetValue<int>());
    }
}
