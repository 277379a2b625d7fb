using System.Diagnostics.Tracing;

namespace Orchestra.Benchmarks;

/// <summary>
/// Samples allocations in process through the runtime's allocation-tick events (one about every 100 KB),
/// counting the sampled bytes by type: a cheap view of which types a graph step allocates most.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile bool _enabled;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_enabled || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
            return;
        var type = eventData.PayloadNames?.IndexOf("TypeName") is int t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
        var amount = eventData.PayloadNames?.IndexOf("AllocationAmount64") is int a and >= 0 ? Convert.ToInt64(eventData.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 0;
        lock (_lock)
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
    }

    /// <summary>Starts counting.</summary>
    public void Start() => _enabled = true;

    /// <summary>The sampled bytes by type, largest first, and clears them.</summary>
    public List<(string Type, long Bytes)> Take()
    {
        _enabled = false;
        lock (_lock)
        {
            var list = _bytes.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)).ToList();
            _bytes.Clear();
            return list;
        }
    }
}
