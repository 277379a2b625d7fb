namespace Orchestra.Core.Tests.Support;

/// <summary>
/// A clock that moves only when a test says so. Timers created through it (Task.Delay, timed cancellation,
/// periodic timers) fire during <see cref="Advance"/> or <see cref="SetUtcNow"/>, in due order, on the
/// calling thread, with the clock set to each timer's due time while its callback runs.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _timers = [];
    private DateTimeOffset _now;
    private long _order;

    /// <summary>Starts the clock at <paramref name="start"/>, or at 2025-01-01 00:00:00 UTC.</summary>
    public FakeTimeProvider(DateTimeOffset? start = null) =>
        _now = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
            return _now;
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Moves the clock forward, firing the timers that come due.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        SetUtcNow(GetUtcNow() + by);
    }

    /// <summary>Sets the clock, which never goes back, firing the timers that come due.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        while (true)
        {
            FakeTimer? due;
            lock (_lock)
            {
                if (value < _now)
                    throw new ArgumentOutOfRangeException(nameof(value), "The clock cannot go back.");
                due = null;
                foreach (var t in _timers)
                {
                    if (t.DueAt is { } at && at <= value && (due is null || at < due.DueAt || (at == due.DueAt && t.Order < due.Order)))
                        due = t;
                }
                if (due is null)
                {
                    _now = value;
                    return;
                }
                _now = due.DueAt!.Value;
                due.DueAt = due.Period is { } period ? _now + period : null;
                if (due.DueAt is null)
                    _timers.Remove(due);
            }
            due.Fire();
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                timer.DueAt = null;
                return;
            }
            ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
            timer.DueAt = _now + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            timer.Order = ++_order;
            _timers.Add(timer);
        }
        // A timer due now fires at once, as a real one would.
        if (dueTime == TimeSpan.Zero)
            SetUtcNow(GetUtcNow());
    }

    private void Remove(FakeTimer timer)
    {
        lock (_lock)
            _timers.Remove(timer);
    }

    private sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset? DueAt { get; set; }
        public TimeSpan? Period { get; set; }
        public long Order { get; set; }

        public void Fire()
        {
            if (!_disposed)
                callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
                return false;
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
