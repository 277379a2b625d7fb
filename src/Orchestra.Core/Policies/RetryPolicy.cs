namespace Orchestra.Core.Policies;

/// <summary>Exponential backoff with jitter between attempts of a transiently failed step.</summary>
public sealed record RetryPolicy
{
    /// <summary>Delay before the second attempt. <value>The default value is 1 second.</value></summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of any delay. <value>The default value is 5 minutes.</value></summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Growth factor per attempt. <value>The default value is 2.</value></summary>
    public double Multiplier { get; init; } = 2;

    /// <summary>Fraction of the delay randomised either way, 0 to 1. <value>The default value is 0.2.</value></summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The default policy.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>
    /// The delay after failed attempt number <paramref name="attempt"/> (1-based).
    /// <paramref name="random01"/> is a number in [0, 1) that decides the jitter.
    /// </summary>
    public TimeSpan DelayAfter(int attempt, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, 62);
        var raw = BaseDelay.TotalMilliseconds * Math.Pow(Multiplier, exponent);
        var capped = Math.Min(raw, MaxDelay.TotalMilliseconds);
        var factor = 1 + Jitter * (2 * random01 - 1);
        var ms = Math.Clamp(capped * factor, 0, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
