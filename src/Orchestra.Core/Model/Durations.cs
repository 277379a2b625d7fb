using System.Globalization;

namespace Orchestra.Core.Model;

/// <summary>Parses and formats durations such as <c>250ms</c>, <c>30s</c>, <c>20m</c>, <c>1h30m</c>, <c>7d</c>.</summary>
public static class Durations
{
    /// <summary>Parses a duration; a bare number means seconds.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var s = text.Trim().ToLowerInvariant();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            if (bare < 0 || double.IsNaN(bare) || bare > 1e9) return false;
            value = TimeSpan.FromSeconds(bare);
            return true;
        }
        var total = 0.0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i) return false;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return false;
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            var ms = s[unitStart..i] switch
            {
                "ms" => 1.0,
                "s" or "sec" or "secs" => 1000.0,
                "m" or "min" or "mins" => 60_000.0,
                "h" or "hr" or "hrs" => 3_600_000.0,
                "d" or "day" or "days" => 86_400_000.0,
                "w" => 604_800_000.0,
                _ => double.NaN,
            };
            if (double.IsNaN(ms)) return false;
            total += n * ms;
        }
        if (total > TimeSpan.MaxValue.TotalMilliseconds / 2) return false;
        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>Parses a duration or throws an <see cref="OrchestraException"/> naming <paramref name="what"/>.</summary>
    public static TimeSpan Parse(string? text, string what)
    {
        if (TryParse(text, out var value))
            return value;
        throw new OrchestraException($"'{text}' is not a duration for {what}: use forms like 500ms, 30s, 20m, 1h30m or 7d.");
    }

    /// <summary>A short human form: <c>850ms</c>, <c>12.3s</c>, <c>4m05s</c>, <c>2h10m</c>, <c>3d4h</c>.</summary>
    public static string Format(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalSeconds < 1) return $"{t.TotalMilliseconds:0}ms";
        if (t.TotalSeconds < 60) return string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0}s");
        if (t.TotalMinutes < 60) return $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
        if (t.TotalHours < 24) return $"{(int)t.TotalHours}h{t.Minutes:00}m";
        return $"{(int)t.TotalDays}d{t.Hours}h";
    }
}
