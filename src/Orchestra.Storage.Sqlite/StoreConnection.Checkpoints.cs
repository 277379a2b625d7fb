using System.Text.Json.Nodes;
using Orchestra.Core.Model;

namespace Orchestra.Storage.Sqlite;

internal sealed partial class StoreConnection
{
    private const string CheckpointColumns = "run_id, number, at, seq, reason, steps, state, graph, details";

    // The documents of the run last written and their JSON: a checkpoint written in the same transaction holds the
    // same documents, and is spared serializing them again.
    private JsonObject? _lastState;
    private byte[]? _lastStateText;
    private JsonObject? _lastGraph;
    private byte[]? _lastGraphText;

    /// <summary>The UTF-8 JSON of <paramref name="document"/>, kept with it for a checkpoint of the same transaction.</summary>
    private byte[] Remember(JsonObject document, ref JsonObject? last, ref byte[]? text)
    {
        text = _buffer.Write(document).ToArray();
        last = document;
        return text;
    }

    private ReadOnlySpan<byte> Json(JsonObject document, JsonObject? last, byte[]? text) =>
        ReferenceEquals(document, last) && text is not null ? text : _buffer.Write(document);

    public CheckpointRecord? GetCheckpoint(string runId, int number)
    {
        var statement = Statement($"SELECT {CheckpointColumns} FROM checkpoints WHERE run_id = $run AND number = $number", "$run", "$number");
        statement.Bind(0, runId);
        statement.Bind(1, number);
        return statement.One(ReadCheckpoint);
    }

    public List<CheckpointRecord> ListCheckpoints(string runId)
    {
        var statement = Statement($"SELECT {CheckpointColumns} FROM checkpoints WHERE run_id = $run ORDER BY number", "$run");
        statement.Bind(0, runId);
        return statement.All(ReadCheckpoint);
    }

    /// <summary>One insert: the number is the run's last plus one, found through the primary key in the same statement.</summary>
    public CheckpointRecord AppendCheckpoint(CheckpointRecord checkpoint)
    {
        var statement = Statement(
            """
            INSERT INTO checkpoints (run_id, number, at, seq, reason, steps, state, graph, details)
            VALUES ($run, (SELECT COALESCE(MAX(number), 0) + 1 FROM checkpoints WHERE run_id = $run), $at, $seq, $reason, $steps, $state, $graph, $details)
            RETURNING number
            """,
            "$run", "$at", "$seq", "$reason", "$steps", "$state", "$graph", "$details");
        statement.Bind(0, checkpoint.RunId);
        statement.Bind(1, checkpoint.At);
        statement.Bind(2, checkpoint.Seq);
        statement.Bind(3, checkpoint.Reason);
        statement.Bind(4, checkpoint.Steps.Count == 0 ? null
            : new JsonObject
            {
                ["ids"] = new JsonArray(checkpoint.Steps.Select(s => (JsonNode?)s).ToArray()),
                ["nodes"] = new JsonArray(checkpoint.Nodes.Select(s => (JsonNode?)s).ToArray()),
            });
        statement.BindUtf8(5, Json(checkpoint.State, _lastState, _lastStateText));
        statement.BindUtf8(6, Json(checkpoint.Graph, _lastGraph, _lastGraphText));
        statement.Bind(7, checkpoint.Details);
        var number = statement.One(static r => r.Int32(0));
        return checkpoint with { Number = number };
    }

    private static CheckpointRecord ReadCheckpoint(Statement r)
    {
        var steps = r.Json(5) as JsonObject;
        return new CheckpointRecord
        {
            RunId = r.Text(0),
            Number = r.Int32(1),
            At = Values.ReadTime(r, 2),
            Seq = r.Int64(3),
            Reason = r.Text(4),
            Steps = Strings(steps?["ids"]),
            Nodes = Strings(steps?["nodes"]),
            State = Values.ReadObject(r, 6),
            Graph = Values.ReadObject(r, 7),
            Details = Values.ReadObjectOrNull(r, 8),
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Where(n => n is not null).Select(n => n!.GetValue<string>()).ToList() : [];
}
