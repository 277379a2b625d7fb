namespace Orchestra.Core.Engine;

/// <summary>Settings of a <see cref="Worker"/>.</summary>
public sealed record WorkerOptions
{
    /// <summary>Most steps this worker runs at once. <value>The default value is 4.</value></summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Stop when nothing is ready or running anywhere, instead of waiting for new work. <value>The default value is false.</value></summary>
    public bool UntilIdle { get; init; }

    /// <summary>How often to look for work queued by other processes. <value>The default value is 200 ms.</value></summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often leases are renewed; null means a third of the lease. <value>The default value is null.</value></summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>How often to look for steps of dead workers; null means half the lease. <value>The default value is null.</value></summary>
    public TimeSpan? ReclaimInterval { get; init; }

    /// <summary>The worker's identity in leases; null makes one from the host, the process id and its start.</summary>
    public string? WorkerId { get; init; }

    /// <summary>Execute only the steps of this run (a one-shot <c>task</c>), or of every run when null.</summary>
    public string? RunId { get; init; }

    /// <summary>How long a stopping worker waits for in-process agents to notice cancellation. <value>The default value is 10 seconds.</value></summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>What a worker did.</summary>
public sealed record WorkerSummary
{
    /// <summary>Attempts started (resumed ones included).</summary>
    public int Started { get; init; }

    /// <summary>Attempts that ended succeeded.</summary>
    public int Succeeded { get; init; }

    /// <summary>Attempts that ended in any other way (retries included).</summary>
    public int Unsuccessful { get; init; }

    /// <summary>Results refused because the attempt had lost its lease.</summary>
    public int Fenced { get; init; }
}
