using Orchestra.Core.Storage;
using Orchestra.Storage.Sqlite;
using Orchestra.Storage.Tests.Support;

namespace Orchestra.Storage.Tests;

/// <summary>The store contract over a real SQLite file in a fresh temporary directory.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempDirectory _directory = new();

    protected override Task<IStore> CreateStoreAsync() =>
        Task.FromResult<IStore>(SqliteStore.Open(_directory.File(".orchestra/orchestra.db")));

    protected override Task CleanupAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
