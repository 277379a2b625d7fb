using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestra.Agents.Tools;

/// <summary>
/// Tool names as people write them and as providers accept them.
/// </summary>
/// <remarks>
/// <para>
/// People name a repository's tool <c>{repo}:{tool}</c> (<c>api:read_file</c>) and an MCP server's tool
/// <c>{server}:{tool}</c> (<c>github:create_issue</c>): the <em>display name</em>, used in configuration, events and
/// logs. OpenAI accepts function names matching <c>^[a-zA-Z0-9_-]{1,64}$</c> and Anthropic the same set, so the
/// colon cannot go on the wire. The <em>wire name</em>, which <see cref="Microsoft.Extensions.AI.AITool.Name"/>
/// carries, replaces <c>:</c> with <see cref="Separator"/> (<c>api__read_file</c>), every other character outside
/// that set with <c>_</c>, and shortens a name over 64 characters to its first 55 characters, <c>_</c> and 8 hex
/// digits of its SHA-256 hash.
/// </para>
/// <para>
/// The mapping is not reversible by rule (an MCP tool may itself be called <c>a__b</c>), so a <see cref="ToolBox"/>
/// keeps both directions in a table, adding <c>_2</c>, <c>_3</c>, … to a wire name already taken; use
/// <see cref="ToolBox.GetDisplayName"/> to go back.
/// </para>
/// </remarks>
public static partial class ToolNames
{
    /// <summary>What stands for <c>:</c> in wire names.</summary>
    public const string Separator = "__";

    /// <summary>The longest wire name providers accept.</summary>
    public const int MaxWireLength = 64;

    /// <summary>The display name of <paramref name="tool"/> in repository or server <paramref name="scope"/>: <c>{scope}:{tool}</c>.</summary>
    public static string Qualify(string scope, string tool) => $"{scope}:{tool}";

    /// <summary>True when <paramref name="name"/> may go on the wire as it is.</summary>
    public static bool IsWireSafe(string name) => WireSafe().IsMatch(name);

    /// <summary>True when <paramref name="name"/> is a valid name for a repository, MCP server, shell tool or parameter: wire-safe and without <see cref="Separator"/>.</summary>
    public static bool IsValidName(string? name) =>
        name is not null && IsWireSafe(name) && !name.Contains(Separator, StringComparison.Ordinal);

    /// <summary>The wire name of <paramref name="displayName"/> by rule (before any collision suffix).</summary>
    public static string ToWireName(string displayName)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        if (IsWireSafe(displayName))
            return displayName;
        var wire = new StringBuilder(displayName.Length + 4);
        foreach (var c in displayName)
        {
            if (c == ':')
                wire.Append(Separator);
            else
                wire.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }
        if (wire.Length == 0)
            wire.Append('_');
        if (wire.Length <= MaxWireLength)
            return wire.ToString();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(displayName)))[..8];
        return $"{wire.ToString(0, MaxWireLength - 9)}_{hash}";
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex WireSafe();
}

/// <summary>Display name ⇄ wire name, unique in both directions.</summary>
internal sealed class ToolNameTable
{
    private readonly Dictionary<string, string> _wireByDisplay = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _displayByWire = new(StringComparer.Ordinal);

    /// <summary>The wire name for <paramref name="displayName"/>, made unique on first use.</summary>
    public string Add(string displayName)
    {
        if (_wireByDisplay.TryGetValue(displayName, out var known))
            return known;
        var wire = ToolNames.ToWireName(displayName);
        for (var n = 2; _displayByWire.ContainsKey(wire); n++)
        {
            var suffix = $"_{n}";
            var stem = ToolNames.ToWireName(displayName);
            wire = (stem.Length + suffix.Length > ToolNames.MaxWireLength ? stem[..(ToolNames.MaxWireLength - suffix.Length)] : stem) + suffix;
        }
        _wireByDisplay[displayName] = wire;
        _displayByWire[wire] = displayName;
        return wire;
    }

    public string? DisplayName(string wireName) => _displayByWire.GetValueOrDefault(wireName);

    public string? WireName(string displayName) => _wireByDisplay.GetValueOrDefault(displayName);
}
