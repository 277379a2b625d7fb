using Orchestra.Core.Model;

namespace Orchestra.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) =>
        new(Read((runId, number), static (c, a) => c.GetCheckpoint(a.runId, a.number), cancellationToken));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) =>
        new(Read(runId, static (c, runId) => (IReadOnlyList<CheckpointRecord>)c.ListCheckpoints(runId), cancellationToken));

    private sealed partial class Transaction
    {
        public ValueTask<CheckpointRecord?> GetCheckpointAsync(string runId, int number, CancellationToken cancellationToken = default) =>
            new(Use(cancellationToken).GetCheckpoint(runId, number));

        public ValueTask<IReadOnlyList<CheckpointRecord>> ListCheckpointsAsync(string runId, CancellationToken cancellationToken = default) =>
            new(Use(cancellationToken).ListCheckpoints(runId));

        public ValueTask<CheckpointRecord> AppendCheckpointAsync(CheckpointRecord checkpoint, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(checkpoint);
            return new(Use(cancellationToken).AppendCheckpoint(checkpoint));
        }
    }
}
