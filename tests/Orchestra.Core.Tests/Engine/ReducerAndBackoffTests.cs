using System.Text.Json.Nodes;
using Orchestra.Core.Policies;
using Orchestra.Core.State;

namespace Orchestra.Core.Tests.Engine;

public class ReducerAndBackoffTests
{
    [Fact]
    public void Apply_ReplaceAppendAndMergePerKey()
    {
        var state = new JsonObject
        {
            ["verdict"] = "revise",
            ["notes"] = new JsonArray("a"),
            ["meta"] = new JsonObject { ["x"] = 1, ["deep"] = new JsonObject { ["k"] = 1 } },
        };
        var delta = new JsonObject
        {
            ["verdict"] = "approve",
            ["notes"] = new JsonArray("b", "c"),
            ["meta"] = new JsonObject { ["y"] = 2, ["deep"] = new JsonObject { ["j"] = 2 } },
            ["new"] = 5,
        };
        var reducers = new Dictionary<string, Reducer> { ["notes"] = Reducer.Append, ["meta"] = Reducer.Merge };

        var result = StateDocument.Apply(state, delta, reducers);

        Assert.Equal("approve", result["verdict"]!.GetValue<string>());
        Assert.Equal(["a", "b", "c"], result["notes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, result["meta"]!["x"]!.GetValue<int>());
        Assert.Equal(2, result["meta"]!["y"]!.GetValue<int>());
        Assert.Equal(1, result["meta"]!["deep"]!["k"]!.GetValue<int>());
        Assert.Equal(2, result["meta"]!["deep"]!["j"]!.GetValue<int>());
        Assert.Equal(5, result["new"]!.GetValue<int>());
        Assert.Equal("revise", state["verdict"]!.GetValue<string>());
        Assert.Single(state["notes"]!.AsArray());
    }

    [Fact]
    public void Append_ToMissingOrScalarValue_MakesAList()
    {
        Assert.Single(StateDocument.Reduce(Reducer.Append, null, JsonValue.Create("x"))!.AsArray());
        Assert.Equal(2, StateDocument.Reduce(Reducer.Append, JsonValue.Create("a"), JsonValue.Create("b"))!.AsArray().Count);
    }

    [Fact]
    public void Backoff_GrowsExponentiallyUpToTheCap()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0 };
        Assert.Equal(TimeSpan.FromSeconds(1), policy.DelayAfter(1, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayAfter(2, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.DelayAfter(3, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayAfter(10, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayAfter(1000, 0.5));
    }

    [Fact]
    public void Backoff_JitterStaysWithinItsBand()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromMinutes(5), Jitter = 0.2 };
        Assert.Equal(8000, policy.DelayAfter(1, 0).TotalMilliseconds, 3);
        Assert.Equal(12000, policy.DelayAfter(1, 0.999999).TotalMilliseconds, 0);
        Assert.Equal(10000, policy.DelayAfter(1, 0.5).TotalMilliseconds, 3);
    }
}
