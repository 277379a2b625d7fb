using Microsoft.Data.Sqlite;
using Orchestra.Core;

namespace Orchestra.Storage.Sqlite;

/// <summary>Turns SQLite's environment failures into one-line <see cref="OrchestraException"/>s that name the file and the fix.</summary>
internal static class StoreErrors
{
    private const int SqlitePerm = 3;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteNotADb = 26;

    /// <summary>True when the error is another process holding the lock: worth trying again.</summary>
    public static bool IsBusy(SqliteException ex) => ex.SqliteErrorCode is SqliteBusy or SqliteLocked;

    /// <summary>The user-facing exception for <paramref name="ex"/>, or null when it is not an environment failure.</summary>
    public static OrchestraException? Translate(SqliteException ex, string path, SqliteStoreOptions options) => ex.SqliteErrorCode switch
    {
        SqliteReadOnly or SqlitePerm when options.ReadOnly =>
            Environment($"The store {path} is open read-only and this command needs to change it: run it without read-only access.", ex),
        SqliteReadOnly or SqlitePerm =>
            Environment($"The store {path} is read-only: check the permissions of the file and its directory.", ex),
        SqliteFull =>
            Environment($"The disk holding the store {path} is full: free some space and run again.", ex),
        SqliteCantOpen =>
            Environment($"The store {path} cannot be opened: check that the file and its directory exist and are writable.", ex),
        SqliteIoErr =>
            Environment($"The store {path} could not be read or written (disk I/O error): check the disk and the file's permissions.", ex),
        SqliteCorrupt or SqliteNotADb =>
            Environment($"The store {path} is not an Orchestra database or is damaged: move it aside and run again.", ex),
        SqliteBusy or SqliteLocked =>
            Environment($"The store {path} stayed locked by another process for too long: try again, or stop the other orchestra process.", ex),
        _ => null,
    };

    private static OrchestraException Environment(string message, SqliteException inner) => new(message, ErrorKind.Environment, inner);
}
