using Orchestra.Core.Model;

namespace Orchestra.Agents.Llm;

/// <summary>What a model costs, in US dollars per million tokens.</summary>
/// <param name="Input">Uncached prompt tokens.</param>
/// <param name="Output">Completion tokens.</param>
/// <param name="CachedInput">Prompt tokens served from the provider's cache; defaults to the input price.</param>
public readonly record struct ModelPrice(decimal Input, decimal Output, decimal? CachedInput = null);

/// <summary>
/// Prices per model, built in for the common models and overridable under <c>prices:</c> in the workspace
/// configuration. A model with no price costs nothing as far as budgets know; <see cref="Find"/> tells.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, ModelPrice> _prices;

    /// <summary>Creates a table: the built-in prices, replaced or extended by <paramref name="overrides"/>.</summary>
    public PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>>? overrides = null)
    {
        _prices = new Dictionary<string, ModelPrice>(BuiltIn, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in overrides ?? [])
            _prices[model] = price;
    }

    // Public list prices; users with other contracts override them in config.
    private static readonly Dictionary<string, ModelPrice> BuiltIn = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4.1"] = new(2.00m, 8.00m, 0.50m),
        ["gpt-4.1-mini"] = new(0.40m, 1.60m, 0.10m),
        ["gpt-4.1-nano"] = new(0.10m, 0.40m, 0.025m),
        ["gpt-4o"] = new(2.50m, 10.00m, 1.25m),
        ["gpt-4o-mini"] = new(0.15m, 0.60m, 0.075m),
        ["o4-mini"] = new(1.10m, 4.40m, 0.275m),
        ["claude-opus-4-1"] = new(15.00m, 75.00m, 1.50m),
        ["claude-sonnet-4-5"] = new(3.00m, 15.00m, 0.30m),
        ["claude-sonnet-4"] = new(3.00m, 15.00m, 0.30m),
        ["claude-3-5-sonnet-latest"] = new(3.00m, 15.00m, 0.30m),
        ["claude-haiku-4-5"] = new(1.00m, 5.00m, 0.10m),
        ["claude-3-5-haiku-latest"] = new(0.80m, 4.00m, 0.08m),
        ["gemini-2.5-pro"] = new(1.25m, 10.00m, 0.31m),
        ["gemini-2.5-flash"] = new(0.30m, 2.50m, 0.075m),
        ["gemini-2.5-flash-lite"] = new(0.10m, 0.40m, 0.025m),
        ["llama-3.1-8b-instruct"] = new(0.02m, 0.03m),
    };

    /// <summary>The built-in table.</summary>
    public static PriceTable Default { get; } = new();


    /// <summary>
    /// The price of <paramref name="model"/>, or null. A vendor-qualified name (<c>anthropic/claude-sonnet-4.5</c>)
    /// falls back to its bare name, with dots read as dashes.
    /// </summary>
    public ModelPrice? Find(string model)
    {
        if (_prices.TryGetValue(model, out var p))
            return p;
        var slash = model.LastIndexOf('/');
        if (slash >= 0)
        {
            var bare = model[(slash + 1)..];
            if (_prices.TryGetValue(bare, out p) || _prices.TryGetValue(bare.Replace('.', '-'), out p))
                return p;
        }
        return null;
    }

    /// <summary>
    /// The cost of <paramref name="usage"/> on <paramref name="model"/>. Input tokens include cached ones (as
    /// OpenAI reports them); cached tokens are charged at the cached price.
    /// </summary>
    public decimal Cost(string model, Usage usage)
    {
        if (Find(model) is not { } price)
            return 0m;
        var cached = Math.Min(usage.CachedTokens, usage.InputTokens);
        var fresh = usage.InputTokens - cached;
        var total = fresh * price.Input + cached * (price.CachedInput ?? price.Input) + usage.OutputTokens * price.Output;
        return decimal.Round(total / 1_000_000m, 8);
    }
}
