using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

public sealed partial class OrchestraEngine
{
    /// <summary>What one transaction did to one graph run, written as one numbered checkpoint when it commits.</summary>
    private sealed class PendingCheckpoint(string reason)
    {
        public string Reason { get; set; } = reason;
        public List<StepRecord> Steps { get; } = [];
        public JsonObject? Details { get; set; }
    }

    private sealed partial class Tx
    {
        private Dictionary<string, PendingCheckpoint>? _checkpoints;

        /// <summary>The sequence number of the last event this transaction appended.</summary>
        public long LastSeq { get; private set; }

        /// <summary>
        /// Records that this transaction makes a checkpoint of <paramref name="runId"/> (written only for graph runs);
        /// the first reason given wins, and each step named is listed once.
        /// </summary>
        public PendingCheckpoint Checkpoint(string runId, string reason, StepRecord? step = null)
        {
            _checkpoints ??= new(StringComparer.Ordinal);
            if (!_checkpoints.TryGetValue(runId, out var pending))
                _checkpoints[runId] = pending = new PendingCheckpoint(reason);
            if (step is not null && !pending.Steps.Exists(s => s.Id == step.Id))
                pending.Steps.Add(step);
            return pending;
        }

        /// <summary>One insert per graph run this transaction checkpointed, however many results it recorded.</summary>
        private async ValueTask WriteCheckpointsAsync(CancellationToken ct)
        {
            if (_checkpoints is not { Count: > 0 } pending)
                return;
            foreach (var (runId, p) in pending)
            {
                var run = await FindRunAsync(runId, ct).ConfigureAwait(false);
                if (run is null || run.Kind != RunKinds.Graph)
                    continue;
                await Store.AppendCheckpointAsync(new CheckpointRecord
                {
                    RunId = runId,
                    At = Now,
                    Seq = LastSeq,
                    Reason = p.Reason,
                    Steps = p.Steps.Select(s => s.Id).ToList(),
                    Nodes = p.Steps.Select(s => s.Node ?? s.Name).ToList(),
                    State = run.State,
                    Graph = run.Graph,
                    Details = p.Details,
                }, ct).ConfigureAwait(false);
            }
            _checkpoints.Clear();
        }
    }
}
