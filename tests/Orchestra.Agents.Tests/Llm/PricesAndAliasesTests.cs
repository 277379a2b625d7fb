using Orchestra.Agents.Llm;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tests.Llm;

public sealed class PricesAndAliasesTests
{
    [Fact]
    public void Cost_charges_cached_input_at_the_cached_price()
    {
        var prices = new PriceTable([KeyValuePair.Create("m", new ModelPrice(2m, 8m, 0.5m))]);

        var cost = prices.Cost("m", new Usage { InputTokens = 1_000_000, CachedTokens = 400_000, OutputTokens = 500_000 });

        Assert.Equal(600_000 * 2m / 1_000_000 + 400_000 * 0.5m / 1_000_000 + 500_000 * 8m / 1_000_000, cost);
    }

    [Fact]
    public void A_vendor_qualified_model_falls_back_to_its_bare_name()
    {
        Assert.Equal(PriceTable.Default.Find("claude-sonnet-4-5"), PriceTable.Default.Find("anthropic/claude-sonnet-4.5"));
        Assert.NotNull(PriceTable.Default.Find("openai/gpt-4.1-mini"));
    }

    [Fact]
    public void An_unknown_model_costs_nothing_and_an_override_replaces_a_built_in_price()
    {
        Assert.Equal(0m, PriceTable.Default.Cost("no-such-model", new Usage { InputTokens = 1000, OutputTokens = 1000 }));
        var prices = new PriceTable([KeyValuePair.Create("gpt-4.1", new ModelPrice(1m, 1m))]);
        Assert.Equal(2m, prices.Cost("gpt-4.1", new Usage { InputTokens = 1_000_000, OutputTokens = 1_000_000 }));
    }

    [Fact]
    public void Aliases_resolve_agent_map_then_run_map_then_profile_map_then_literally()
    {
        var profile = BuiltInProfiles.OpenAi;
        var agent = new Dictionary<string, string> { ["smart"] = "agent-smart" };
        var run = new Dictionary<string, string> { ["smart"] = "run-smart", ["worker"] = "run-worker" };

        Assert.Equal("agent-smart", ModelAliases.Resolve("smart", profile, agent, run));
        Assert.Equal("run-worker", ModelAliases.Resolve("worker", profile, agent, run));
        Assert.Equal(profile.Models["cheap"], ModelAliases.Resolve("cheap", profile, agent, run));
        Assert.Equal("gpt-4o", ModelAliases.Resolve("gpt-4o", profile, agent, run));
        Assert.Equal(profile.DefaultModel, ModelAliases.Resolve(null, profile));
    }

    [Fact]
    public void An_alias_may_name_another_alias_of_a_later_map()
    {
        var agent = new Dictionary<string, string> { ["best"] = "smart" };

        Assert.Equal(BuiltInProfiles.Anthropic.Models["smart"], ModelAliases.Resolve("best", BuiltInProfiles.Anthropic, agent));
    }

    [Fact]
    public void A_keyless_profile_without_a_default_model_resolves_to_nothing()
    {
        Assert.Null(ModelAliases.Resolve(null, BuiltInProfiles.Local));
    }
}
