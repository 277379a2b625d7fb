using System.Text.Json.Nodes;
using Orchestra.Core.Model;
using Xunit;

namespace Orchestra.Storage.Tests;

public abstract partial class StoreContractTests
{
    private static SessionRecord NewSession(string id, int turns, DateTimeOffset updatedAt, params string[] texts) => new()
    {
        Id = id,
        Agent = "assistant",
        Messages = new JsonArray(texts.Select(t => (JsonNode?)new JsonObject { ["role"] = "user", ["text"] = t }).ToArray()),
        Turns = turns,
        Usage = new Usage { InputTokens = 10 * turns, OutputTokens = 3 * turns, CachedTokens = turns, CostUsd = 0.0125m * turns },
        CreatedAt = T0,
        UpdatedAt = updatedAt,
    };

    [Fact]
    public async Task A_saved_session_reads_back_whole()
    {
        await Store.TransactAsync(async tx => { await tx.SaveSessionAsync(NewSession("chat", 1, T0, "hello")); return 0; });

        var read = await Store.GetSessionAsync("chat");

        Assert.NotNull(read);
        Assert.Equal("assistant", read.Agent);
        Assert.Equal(1, read.Turns);
        Assert.Equal(0.0125m, read.Usage.CostUsd);
        Assert.Equal(10, read.Usage.InputTokens);
        Assert.Equal(T0, read.CreatedAt);
        Assert.Equal("""[{"role":"user","text":"hello"}]""", read.Messages.ToJsonString());
        Assert.Null(await Store.GetSessionAsync("other"));
    }

    [Fact]
    public async Task Saving_a_session_again_replaces_it()
    {
        await Store.TransactAsync(async tx => { await tx.SaveSessionAsync(NewSession("chat", 1, T0, "one")); return 0; });
        await Store.TransactAsync(async tx => { await tx.SaveSessionAsync(NewSession("chat", 2, T0.AddMinutes(1), "one", "two")); return 0; });

        var read = await Store.GetSessionAsync("chat");

        Assert.Equal(2, read!.Turns);
        Assert.Equal(2, read.Messages.Count);
        Assert.Single(await Store.ListSessionsAsync(10));
    }

    [Fact]
    public async Task A_session_saved_in_a_failed_transaction_is_not_kept()
    {
        await Store.TransactAsync(async tx => { await tx.SaveSessionAsync(NewSession("chat", 1, T0, "one")); return 0; });

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.TransactAsync<int>(async tx =>
        {
            await tx.SaveSessionAsync(NewSession("chat", 2, T0.AddMinutes(1), "one", "two"));
            await tx.SaveSessionAsync(NewSession("new", 1, T0, "x"));
            throw new InvalidOperationException("boom");
        }).AsTask());

        Assert.Equal(1, (await Store.GetSessionAsync("chat"))!.Turns);
        Assert.Null(await Store.GetSessionAsync("new"));
    }

    [Fact]
    public async Task Sessions_list_most_recent_first_without_transcripts()
    {
        await Store.TransactAsync(async tx =>
        {
            await tx.SaveSessionAsync(NewSession("old", 1, T0, "a"));
            await tx.SaveSessionAsync(NewSession("new", 3, T0.AddHours(1), "b"));
            await tx.SaveSessionAsync(NewSession("mid", 2, T0.AddMinutes(5), "c"));
            return 0;
        });

        var list = await Store.ListSessionsAsync(2);

        Assert.Equal(["new", "mid"], list.Select(s => s.Id));
        Assert.All(list, s => Assert.Empty(s.Messages));
        Assert.Equal(3, list[0].Turns);
    }

    [Fact]
    public async Task A_transcript_changed_by_a_reader_is_not_changed_in_the_store()
    {
        await Store.TransactAsync(async tx => { await tx.SaveSessionAsync(NewSession("chat", 1, T0, "one")); return 0; });

        var read = await Store.GetSessionAsync("chat");
        read!.Messages.Add(new JsonObject { ["role"] = "user", ["text"] = "sneaky" });

        Assert.Single((await Store.GetSessionAsync("chat"))!.Messages);
    }
}
