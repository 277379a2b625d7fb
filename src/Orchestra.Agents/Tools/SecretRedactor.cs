using System.Text.RegularExpressions;

namespace Orchestra.Agents.Tools;

/// <summary>
/// Removes secrets from tool results and errors before the model (or an event log) sees them. The secrets are
/// the values, at least <see cref="MinLength"/> characters long, of the orchestrator's environment variables
/// whose names look like credentials (<c>*KEY*</c>, <c>*TOKEN*</c>, <c>*SECRET*</c>, <c>*PASSWORD*</c>, ...,
/// and <c>ORCHESTRA_STORE</c>, which may hold a database password), the values handed to a child through
/// <c>${NAME}</c>, and any given explicitly.
/// </summary>
/// <remarks>
/// This is the second line of defence: child processes already get a minimal environment (see
/// <see cref="ChildEnvironment"/>), but a command can still read the orchestrator's <c>/proc/&lt;pid&gt;/environ</c>.
/// </remarks>
public sealed partial class SecretRedactor
{
    /// <summary>Shorter values are not treated as secrets: they would match ordinary text.</summary>
    public const int MinLength = 8;

    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "[redacted]";

    private readonly string[] _secrets;

    /// <summary>Redacts exactly <paramref name="secrets"/> (those of at least <see cref="MinLength"/> characters).</summary>
    public SecretRedactor(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        // Longest first, so that a secret containing another is replaced whole.
        _secrets = [.. secrets.Where(s => s.Length >= MinLength).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    /// <summary>A redactor that removes nothing.</summary>
    public static SecretRedactor None { get; } = new([]);

    /// <summary>The credential-like variables of the current process, plus <paramref name="extra"/>.</summary>
    public static SecretRedactor FromEnvironment(IEnumerable<string>? extra = null) =>
        new(ChildEnvironment.Current().Where(e => LooksSecret(e.Key)).Select(e => e.Value).Concat(extra ?? []));

    /// <summary>True when a variable called <paramref name="name"/> probably holds a credential.</summary>
    public static bool LooksSecret(string name) => SecretName().IsMatch(name);

    /// <summary><paramref name="text"/> with every secret replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>This redactor and <paramref name="more"/> secrets.</summary>
    public SecretRedactor With(IEnumerable<string> more) => new(_secrets.Concat(more));

    [GeneratedRegex("KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|PRIVATE|COOKIE|SESSION|SIGNATURE|CONNECTION_?STRING|DSN|DATABASE_URL|^ORCHESTRA_STORE$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
