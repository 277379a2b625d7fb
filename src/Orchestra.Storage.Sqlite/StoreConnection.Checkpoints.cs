using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Orchestra.Core.Model;

namespace Orchestra.Storage.Sqlite;

internal sealed partial class StoreConnection
{
    private const string CheckpointColumns = "run_id, number, at, seq, reason, steps, state, graph, details";

    // The documents of the run last written and their text: a checkpoint written in the same transaction holds the
    // same documents, and is spared serializing them again.
    private JsonObject? _lastState;
    private string? _lastStateText;
    private JsonObject? _lastGraph;
    private string? _lastGraphText;

    private void RememberDocuments(RunRecord run, SqliteParameterCollection p)
    {
        _lastState = run.State;
        _lastStateText = p[4].Value as string;
        _lastGraph = run.Graph;
        _lastGraphText = p[5].Value as string;
    }

    public CheckpointRecord? GetCheckpoint(string runId, int number)
    {
        var command = Command($"SELECT {CheckpointColumns} FROM checkpoints WHERE run_id = $run AND number = $number", "$run", "$number");
        command.Parameters[0].Value = runId;
        command.Parameters[1].Value = number;
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadCheckpoint(reader) : null;
    }

    public List<CheckpointRecord> ListCheckpoints(string runId)
    {
        var command = Command($"SELECT {CheckpointColumns} FROM checkpoints WHERE run_id = $run ORDER BY number", "$run");
        command.Parameters[0].Value = runId;
        using var reader = command.ExecuteReader();
        var list = new List<CheckpointRecord>();
        while (reader.Read())
            list.Add(ReadCheckpoint(reader));
        return list;
    }

    /// <summary>One insert: the number is the run's last plus one, found through the primary key in the same statement.</summary>
    public CheckpointRecord AppendCheckpoint(CheckpointRecord checkpoint)
    {
        var command = Command(
            """
            INSERT INTO checkpoints (run_id, number, at, seq, reason, steps, state, graph, details)
            VALUES ($run, (SELECT COALESCE(MAX(number), 0) + 1 FROM checkpoints WHERE run_id = $run), $at, $seq, $reason, $steps, $state, $graph, $details)
            RETURNING number
            """,
            c =>
            {
                foreach (var name in (string[])["$run", "$at", "$seq", "$reason", "$steps", "$state", "$graph", "$details"])
                    c.Parameters.Add(new SqliteParameter(name, null));
            });
        var p = command.Parameters;
        p[0].Value = checkpoint.RunId;
        p[1].Value = Values.Time(checkpoint.At);
        p[2].Value = checkpoint.Seq;
        p[3].Value = checkpoint.Reason;
        p[4].Value = checkpoint.Steps.Count == 0 ? DBNull.Value
            : new JsonObject
            {
                ["ids"] = new JsonArray(checkpoint.Steps.Select(s => (JsonNode?)s).ToArray()),
                ["nodes"] = new JsonArray(checkpoint.Nodes.Select(s => (JsonNode?)s).ToArray()),
            }.ToJsonString();
        p[5].Value = ReferenceEquals(checkpoint.State, _lastState) ? _lastStateText : checkpoint.State.ToJsonString();
        p[6].Value = ReferenceEquals(checkpoint.Graph, _lastGraph) ? _lastGraphText : checkpoint.Graph.ToJsonString();
        p[7].Value = Values.Json(checkpoint.Details);
        var number = (long)command.ExecuteScalar()!;
        return checkpoint with { Number = checked((int)number) };
    }

    private static CheckpointRecord ReadCheckpoint(SqliteDataReader r)
    {
        var steps = r.IsDBNull(5) ? null : JsonNode.Parse(r.GetString(5)) as JsonObject;
        return new CheckpointRecord
        {
            RunId = r.GetString(0),
            Number = r.GetInt32(1),
            At = Values.ReadTime(r, 2),
            Seq = r.GetInt64(3),
            Reason = r.GetString(4),
            Steps = Strings(steps?["ids"]),
            Nodes = Strings(steps?["nodes"]),
            State = Values.ReadObject(r, 6),
            Graph = Values.ReadObject(r, 7),
            Details = r.IsDBNull(8) ? null : JsonNode.Parse(r.GetString(8)) as JsonObject,
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Where(n => n is not null).Select(n => n!.GetValue<string>()).ToList() : [];
}
