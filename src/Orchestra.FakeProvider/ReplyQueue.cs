namespace Orchestra.FakeProvider;

/// <summary>The scripted replies in order; each request takes the first that matches it. Thread-safe.</summary>
internal sealed class ReplyQueue
{
    private readonly List<Entry> _entries = [];
    private readonly Lock _lock = new();

    public void Add(FakeReply reply)
    {
        reply.Validate();
        lock (_lock)
            _entries.Add(new Entry(reply, reply.Repeat));
    }

    /// <summary>How many replies are waiting (sticky ones included).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>The first reply that matches <paramref name="request"/>, used up by one; null when none does.</summary>
    public FakeReply? Take(RecordedRequest request)
    {
        lock (_lock)
        {
            for (var i = 0; i < _entries.Count; i++)
            {
                var entry = _entries[i];
                if (entry.Reply.Match is { } match && !match(request))
                    continue;
                if (!entry.Reply.Sticky && --entry.Remaining == 0)
                    _entries.RemoveAt(i);
                return entry.Reply;
            }
            return null;
        }
    }

    public void Clear()
    {
        lock (_lock)
            _entries.Clear();
    }

    private sealed class Entry(FakeReply reply, int remaining)
    {
        public FakeReply Reply { get; } = reply;
        public int Remaining { get; set; } = remaining;
    }
}
