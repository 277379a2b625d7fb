using System.Collections;
using System.Text.RegularExpressions;
using Orchestra.Core;

namespace Orchestra.Agents.Tools;

/// <summary>
/// The environment of the processes tools start (commands, shell tools, MCP servers). It is built from scratch,
/// not inherited, because the orchestrator's environment holds API keys: only <c>PATH</c> (its absolute entries),
/// <c>HOME</c> and <c>LANG</c> are copied, then the variables a definition declares. A declared value may name
/// a variable of the orchestrator as <c>${NAME}</c>, to hand a token to one server on purpose; such values are
/// remembered as secrets so that they are redacted from results.
/// </summary>
/// <param name="Variables">The complete environment.</param>
/// <param name="Secrets">Values copied from the orchestrator through <c>${NAME}</c>.</param>
public sealed partial record ChildEnvironment(IReadOnlyDictionary<string, string> Variables, IReadOnlyList<string> Secrets)
{
    /// <summary>The variables copied from the orchestrator into every child.</summary>
    public static IReadOnlyList<string> Inherited { get; } = ["PATH", "HOME", "LANG"];

    private const string FallbackPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>Builds the environment: the <see cref="Inherited"/> variables, then <paramref name="declared"/>.</summary>
    /// <exception cref="OrchestraException">A declared name is invalid or a <c>${NAME}</c> is not set.</exception>
    public static ChildEnvironment Build(IReadOnlyDictionary<string, string>? declared, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var secrets = new List<string>();
        // Relative PATH entries would find programs in the workspace, which the model may write.
        var path = string.Join(':', (lookup("PATH") ?? "").Split(':').Where(d => d.StartsWith('/')));
        variables["PATH"] = path.Length > 0 ? path : FallbackPath;
        foreach (var name in Inherited.Skip(1))
        {
            if (lookup(name) is { Length: > 0 } value)
                variables[name] = value;
        }
        foreach (var (name, value) in declared ?? new Dictionary<string, string>())
        {
            if (!ValidName().IsMatch(name))
                throw new OrchestraException($"'{name}' is not a valid environment variable name; use letters, digits and underscores, not starting with a digit");
            variables[name] = Reference().Replace(value, m =>
            {
                var referenced = m.Groups[1].Value;
                var resolved = lookup(referenced)
                    ?? throw new OrchestraException($"environment variable '{name}' refers to ${{{referenced}}}, which is not set; set it before starting Orchestra or remove the reference");
                if (resolved.Length > 0)
                    secrets.Add(resolved);
                return resolved;
            });
        }
        return new ChildEnvironment(variables, secrets);
    }

    /// <summary>The current process's environment as a dictionary.</summary>
    internal static Dictionary<string, string> Current()
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
                all[key] = value;
        }
        return all;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ValidName();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Reference();
}
