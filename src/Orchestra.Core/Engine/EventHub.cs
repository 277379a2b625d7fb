using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

/// <summary>Delivers a process's events to in-process subscribers (live views, servers), persisted or not.</summary>
public sealed class EventHub
{
    private volatile Action<RunEvent>[] _subscribers = [];
    private readonly Lock _lock = new();

    /// <summary>Subscribes; dispose the result to stop.</summary>
    public IDisposable Subscribe(Action<RunEvent> handler)
    {
        lock (_lock)
            _subscribers = [.. _subscribers, handler];
        return new Subscription(this, handler);
    }

    /// <summary>Delivers an event to every subscriber. A subscriber's exception is swallowed so it cannot break a worker.</summary>
    public void Publish(RunEvent runEvent)
    {
        foreach (var s in _subscribers)
        {
            try
            {
                s(runEvent);
            }
            catch (Exception)
            {
                // A broken view must not stop the engine.
            }
        }
    }

    /// <summary>True when someone listens (so callers can skip building events nobody reads).</summary>
    public bool HasSubscribers => _subscribers.Length > 0;

    private sealed class Subscription(EventHub hub, Action<RunEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (hub._lock)
                hub._subscribers = hub._subscribers.Where(s => s != handler).ToArray();
        }
    }
}
