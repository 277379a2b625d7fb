using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Orchestra.Storage.Sqlite;

/// <summary>
/// One prepared SQL statement, bound by position and read by column through SQLite's own interface. The store runs
/// a handful of statements thousands of times a second: Microsoft.Data.Sqlite would look every parameter up by name
/// and wrap every execution in a data reader each time, which costs more than SQLite's own work on a small row.
/// Errors surface as <see cref="SqliteException"/>, as they do from Microsoft.Data.Sqlite. Not thread-safe.
/// </summary>
internal sealed class Statement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private readonly int[] _slots;
    private readonly Utf8Buffer _buffer;

    /// <summary>
    /// Prepares <paramref name="sql"/>, one statement, whose parameters are then bound by their position in
    /// <paramref name="parameters"/>; binding a name the statement does not use does nothing.
    /// </summary>
    public Statement(sqlite3 db, Utf8Buffer buffer, string sql, IReadOnlyList<string> parameters)
    {
        _db = db;
        _buffer = buffer;
        var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt, out string tail);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            _stmt.Dispose();
            throw new ArgumentException($"one statement at a time: '{tail.Trim()}' follows it", nameof(sql));
        }
        // A name the statement does not use gets slot 0, and binding it does nothing: one binder serves an insert and
        // an update that leaves some columns alone.
        _slots = new int[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
            _slots[i] = raw.sqlite3_bind_parameter_index(_stmt, parameters[i]);
    }

    /// <inheritdoc />
    public void Dispose() => _stmt.Dispose();

    // ---- binding ----

    public void Bind(int parameter, string? value)
    {
        if (value is null)
        {
            BindNull(parameter);
            return;
        }
        BindUtf8(parameter, _buffer.Encode(value));
    }

    public void Bind(int parameter, long value)
    {
        if (_slots[parameter] != 0)
            Check(raw.sqlite3_bind_int64(_stmt, _slots[parameter], value));
    }

    public void Bind(int parameter, long? value)
    {
        if (value is { } v)
            Bind(parameter, v);
        else
            BindNull(parameter);
    }

    public void Bind(int parameter, DateTimeOffset value) => Bind(parameter, value.ToUnixTimeMilliseconds());

    public void Bind(int parameter, DateTimeOffset? value) => Bind(parameter, value?.ToUnixTimeMilliseconds());

    /// <summary>Binds a document as JSON text, written straight to UTF-8; null binds SQL NULL.</summary>
    public void Bind(int parameter, JsonNode? value)
    {
        if (value is null)
            BindNull(parameter);
        else
            BindUtf8(parameter, _buffer.Write(value));
    }

    /// <summary>Binds UTF-8 text as it is.</summary>
    public void BindUtf8(int parameter, ReadOnlySpan<byte> utf8)
    {
        var slot = _slots[parameter];
        if (slot == 0)
            return;
        // An empty span has no address, which SQLite would take for NULL rather than for empty text.
        Check(utf8.IsEmpty ? raw.sqlite3_bind_text(_stmt, slot, string.Empty) : raw.sqlite3_bind_text(_stmt, slot, utf8));
    }

    public void BindNull(int parameter)
    {
        if (_slots[parameter] != 0)
            Check(raw.sqlite3_bind_null(_stmt, _slots[parameter]));
    }

    // ---- running ----

    /// <summary>Runs the statement to its end; the number of rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_stmt)) == raw.SQLITE_ROW)
            {
            }
            if (rc != raw.SQLITE_DONE)
                SqliteException.ThrowExceptionForRC(rc, _db);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    /// <summary>Runs an insert; the new row's rowid.</summary>
    public long Insert()
    {
        Execute();
        return raw.sqlite3_last_insert_rowid(_db);
    }

    /// <summary>Advances to the next row: false at the end. Call <see cref="Reset"/> when done with the rows.</summary>
    public bool Read()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW)
            return true;
        if (rc != raw.SQLITE_DONE)
        {
            try
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
        }
        return false;
    }

    /// <summary>Makes the statement ready to run again (bindings are kept).</summary>
    public void Reset() => raw.sqlite3_reset(_stmt);

    /// <summary>The first row read with <paramref name="read"/>, or the default when there is none.</summary>
    public T? One<T>(Func<Statement, T> read)
    {
        try
        {
            return Read() ? read(this) : default;
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Every row, read with <paramref name="read"/>.</summary>
    public List<T> All<T>(Func<Statement, T> read)
    {
        var list = new List<T>();
        try
        {
            while (Read())
                list.Add(read(this));
            return list;
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>The first column of the first row as an integer, or null when there is no row or it is NULL.</summary>
    public long? Scalar() => One(static s => s.IsNull(0) ? (long?)null : s.Int64(0));

    // ---- columns of the current row ----

    public bool IsNull(int column) => raw.sqlite3_column_type(_stmt, column) == raw.SQLITE_NULL;

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    public int Int32(int column) => checked((int)raw.sqlite3_column_int64(_stmt, column));

    public long? Int64OrNull(int column) => IsNull(column) ? null : Int64(column);

    /// <summary>The column's text as UTF-8, valid until the row changes.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_stmt, column);

    public string Text(int column) => Encoding.UTF8.GetString(Utf8(column));

    public string? TextOrNull(int column) => IsNull(column) ? null : Text(column);

    /// <summary>The column parsed as JSON straight from its UTF-8 text, or null when it is NULL.</summary>
    public JsonNode? Json(int column) => IsNull(column) ? null : JsonNode.Parse(Utf8(column));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            SqliteException.ThrowExceptionForRC(rc, _db);
    }
}

/// <summary>A connection's scratch space for text on its way to SQLite, which copies what it is given.</summary>
internal sealed class Utf8Buffer : IDisposable
{
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private Utf8JsonWriter? _writer;
    private byte[] _text = new byte[1024];

    /// <inheritdoc />
    public void Dispose() => _writer?.Dispose();

    /// <summary>The UTF-8 bytes of <paramref name="value"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _text.Length)
        {
            var needed = Encoding.UTF8.GetByteCount(value);
            if (needed > _text.Length)
                _text = new byte[Math.Max(needed, _text.Length * 2)];
        }
        var length = Encoding.UTF8.GetBytes(value, _text);
        return _text.AsSpan(0, length);
    }

    /// <summary>The JSON text of <paramref name="node"/> in UTF-8, valid until the next call.</summary>
    public ReadOnlySpan<byte> Write(JsonNode node)
    {
        _json.ResetWrittenCount();
        if (_writer is null)
            _writer = new Utf8JsonWriter(_json);
        else
            _writer.Reset(_json);
        node.WriteTo(_writer);
        _writer.Flush();
        return _json.WrittenSpan;
    }
}
