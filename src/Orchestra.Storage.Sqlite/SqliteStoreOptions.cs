namespace Orchestra.Storage.Sqlite;

/// <summary>How hard SQLite works to make a commit durable.</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// <c>synchronous=NORMAL</c> (the default): with the write-ahead log, a committed transaction survives
    /// the process crashing or being killed (<c>kill -9</c>); the last commits may be lost if the machine
    /// loses power or the operating system crashes. The database is never corrupted either way.
    /// </summary>
    Normal,

    /// <summary><c>synchronous=FULL</c>: every commit is flushed to disk, so it also survives a power loss. Slower.</summary>
    Full,
}

/// <summary>Settings of a <see cref="SqliteStore"/>.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>Durability of commits. <value>The default value is <see cref="SqliteSynchronous.Normal"/>.</value></summary>
    public SqliteSynchronous Synchronous { get; init; } = SqliteSynchronous.Normal;

    /// <summary>
    /// How long a transaction waits for another process that holds the write lock.
    /// <value>The default value is 10 seconds.</value>
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens the database read-only, for commands that only look: nothing is created or migrated, and a
    /// transaction that writes fails with a clear error. <value>The default value is false.</value>
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>How many idle read connections are kept for reads outside transactions. <value>The default value is 4.</value></summary>
    public int MaxIdleReaders { get; init; } = 4;

    /// <summary>Caps the database at this many pages, as a full disk would (for tests).</summary>
    internal long? MaxPageCount { get; init; }
}
