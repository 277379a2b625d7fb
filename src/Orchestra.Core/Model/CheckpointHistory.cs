using System.Text.Json.Nodes;

namespace Orchestra.Core.Model;

/// <summary>A step that was open (created, not finished) at a checkpoint.</summary>
/// <param name="Id">The step.</param>
/// <param name="From">The node whose edge created it, when its creation event names one.</param>
public sealed record OpenStep(string Id, string? From);

/// <summary>
/// What a graph run's events say about its checkpoints: the steps open and the repositories' commits at each one.
/// Apply the run's events in order, reading <see cref="Open"/> and <see cref="Commits"/> after the last event at or
/// before a checkpoint's <see cref="CheckpointRecord.Seq"/>.
/// </summary>
public sealed class CheckpointHistory
{
    private readonly Dictionary<string, OpenStep> _open = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<string, string> _commits = new(StringComparer.Ordinal);

    /// <summary>The sequence number of the last event applied.</summary>
    public long Seq { get; private set; }

    /// <summary>True once any step of the run recorded a snapshot (worked in its own worktree), or a replay or fork set commits.</summary>
    public bool HasSnapshots { get; private set; }

    /// <summary>The steps open now, in the order they were created.</summary>
    public IReadOnlyList<OpenStep> Open => _order.Where(_open.ContainsKey).Select(id => _open[id]).ToList();

    /// <summary>Repository → commit: the newest commit a step's snapshot recorded, since the last replay or fork set them.</summary>
    public IReadOnlyDictionary<string, string> Commits => new Dictionary<string, string>(_commits, StringComparer.Ordinal);

    /// <summary>The history after <paramref name="events"/> up to and including <paramref name="seq"/>.</summary>
    public static CheckpointHistory At(IEnumerable<RunEvent> events, long seq)
    {
        ArgumentNullException.ThrowIfNull(events);
        var history = new CheckpointHistory();
        foreach (var e in events)
        {
            if (e.Seq > seq)
                break;
            history.Apply(e);
        }
        return history;
    }

    /// <summary>Takes one event into account (events must come in sequence order).</summary>
    public void Apply(RunEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Seq = e.Seq;
        switch (e.Type)
        {
            case EventTypes.StepCreated or EventTypes.StepReady or EventTypes.StepRetrying or EventTypes.StepWaiting when e.StepId is { } id:
                if (!_open.ContainsKey(id))
                {
                    _open[id] = new OpenStep(id, e.Data?["from"]?.GetValue<string>());
                    _order.Remove(id);
                    _order.Add(id);
                }
                break;
            case EventTypes.StepFinished when e.StepId is { } id:
                _open.Remove(id);
                break;
            case EventTypes.StepSnapshot when (e.Data?["snapshot"]) is JsonObject snapshot:
                HasSnapshots = true;
                foreach (var (repo, commit) in snapshot)
                {
                    if (commit is JsonValue v && v.TryGetValue<string>(out var sha))
                        _commits[repo] = sha;
                }
                break;
            case EventTypes.RunReplayed or EventTypes.RunForked when (e.Data?["commits"]) is JsonObject commits:
                // A replay or a fork sets the whole workspace: what came before no longer counts.
                _commits.Clear();
                foreach (var (repo, commit) in commits)
                {
                    if (commit is JsonValue v && v.TryGetValue<string>(out var sha))
                        _commits[repo] = sha;
                }
                HasSnapshots |= _commits.Count > 0;
                break;
        }
    }

    /// <summary>The repositories' commits as a JSON object (repository → commit).</summary>
    public static JsonObject ToJson(IReadOnlyDictionary<string, string> commits)
    {
        ArgumentNullException.ThrowIfNull(commits);
        var json = new JsonObject();
        foreach (var (repo, commit) in commits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            json[repo] = commit;
        return json;
    }
}
