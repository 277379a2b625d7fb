namespace Orchestra.Core.Model;

/// <summary>
/// Identifiers for runs and steps: a kind letter (<c>r</c> or <c>s</c>) and twelve lower-case
/// Crockford base-32 characters, time-ordered. Ids are validated before use so that no path or
/// query can be built from a hostile one.
/// </summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>The length of a full id, kind letter included.</summary>
    public const int Length = 13;

    /// <summary>A new run id.</summary>
    public static string NewRunId(TimeProvider time) => New('r', time);

    /// <summary>A new step id.</summary>
    public static string NewStepId(TimeProvider time) => New('s', time);

    private static readonly Lock Gate = new();
    private static long _lastMs = -1;
    private static long _lastLow;

    private static string New(char kind, TimeProvider time)
    {
        // 40 bits of milliseconds since 2024 (until 2058), then 20 bits that start at a random point each
        // millisecond and count up within it: unique within a process, sortable, and unlikely to collide
        // across processes.
        var ms = (time.GetUtcNow().ToUnixTimeMilliseconds() - EpochMs) & ((1L << 40) - 1);
        long low;
        lock (Gate)
        {
            if (ms <= _lastMs && _lastLow < (1 << 20) - 1)
            {
                ms = _lastMs;
                low = ++_lastLow;
            }
            else
            {
                // Only uniqueness across processes is at stake, not secrecy: no need for the cryptographic generator.
                low = Random.Shared.Next(1 << 19);
                _lastMs = ms;
                _lastLow = low;
            }
        }
        var value = ((ulong)ms << 20) | (ulong)low;
        Span<char> chars = stackalloc char[Length];
        chars[0] = kind;
        for (var i = Length - 1; i >= 1; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    private const long EpochMs = 1_704_067_200_000;

    /// <summary>True when <paramref name="id"/> is a well-formed run or step id, or a prefix of one (at least 3 characters).</summary>
    public static bool IsValidPrefix(string? id)
    {
        if (id is null || id.Length < 3 || id.Length > Length || (id[0] != 'r' && id[0] != 's'))
            return false;
        for (var i = 1; i < id.Length; i++)
        {
            if (!Alphabet.Contains(id[i], StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="id"/> is a complete, well-formed id.</summary>
    public static bool IsValid(string? id) => id is { Length: Length } && IsValidPrefix(id);

    /// <summary>True when <paramref name="id"/> names a step.</summary>
    public static bool IsStep(string id) => id.Length > 0 && id[0] == 's';

    /// <summary>True when <paramref name="id"/> names a run.</summary>
    public static bool IsRun(string id) => id.Length > 0 && id[0] == 'r';

    /// <summary>True when <paramref name="name"/> is a usable step name, agent name or plan task id: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !char.IsAsciiLetterOrDigit(name[0]))
            return false;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
                return false;
        }
        return !name.Contains("..", StringComparison.Ordinal);
    }
}
