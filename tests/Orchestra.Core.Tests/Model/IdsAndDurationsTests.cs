using Orchestra.Core.Model;

namespace Orchestra.Core.Tests.Model;

public class IdsAndDurationsTests
{
    [Fact]
    public void NewIds_AreValidDistinctAndTimeOrdered()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.NewStepId(TimeProvider.System)).ToList();
        Assert.All(ids, id => Assert.True(Ids.IsValid(id)));
        Assert.All(ids, id => Assert.True(Ids.IsStep(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.True(Ids.IsRun(Ids.NewRunId(TimeProvider.System)));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("s0123456789ab/")]
    [InlineData("s0123456789abc1")]
    [InlineData("S0123456789AB")]
    [InlineData("x0123456789ab")]
    [InlineData("s0")]
    [InlineData("")]
    [InlineData("s01 23")]
    public void HostileOrMalformedIds_AreRejected(string id)
    {
        Assert.False(Ids.IsValid(id));
        if (id.Length < 3 || id.Contains('/') || id.Contains('.') || id.Contains(' ') || id[0] is not ('r' or 's'))
            Assert.False(Ids.IsValidPrefix(id));
    }

    [Theory]
    [InlineData("fix-bug", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("../x", false)]
    [InlineData("a/b", false)]
    [InlineData("-x", false)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    public void Names_AllowOnlySafeCharacters(string name, bool valid) => Assert.Equal(valid, Ids.IsValidName(name));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("20m", 1_200_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("7d", 604_800_000)]
    [InlineData("2", 2000)]
    [InlineData("1.5s", 1500)]
    public void Durations_ParseCommonForms(string text, long ms)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(ms, (long)value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("10 parsecs")]
    [InlineData("-5s")]
    [InlineData("m")]
    [InlineData("")]
    public void Durations_RejectNonsenseWithAClearMessage(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
        var ex = Assert.Throws<OrchestraException>(() => Durations.Parse(text, "--timeout"));
        Assert.Contains("--timeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains("30s", ex.Message, StringComparison.Ordinal);
    }
}
