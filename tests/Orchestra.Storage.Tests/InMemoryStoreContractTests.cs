using Orchestra.Core.Storage;

namespace Orchestra.Storage.Tests;

/// <summary>The store contract over the in-memory store.</summary>
public sealed class InMemoryStoreContractTests : StoreContractTests
{
    protected override Task<IStore> CreateStoreAsync() => Task.FromResult<IStore>(new InMemoryStore());
}
