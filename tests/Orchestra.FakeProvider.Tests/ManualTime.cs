namespace Orchestra.FakeProvider.Tests;

/// <summary>A clock whose timers fire only when the test says so, and which tells when a timer was started.</summary>
public sealed class ManualTime : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once something has started a timer (for example a reply's first-byte delay).</summary>
    public Task TimerCreated => _timerCreated.Task;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state);
        lock (_timers)
            _timers.Add(timer);
        _timerCreated.TrySetResult();
        return timer;
    }

    /// <summary>Fires every timer started so far.</summary>
    public void FireAll()
    {
        List<ManualTimer> due;
        lock (_timers)
            due = [.. _timers];
        foreach (var timer in due)
            timer.Fire();
    }

    private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public void Fire()
        {
            if (!_disposed)
                callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => !_disposed;

        public void Dispose() => _disposed = true;

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
