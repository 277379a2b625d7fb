using System.Globalization;

namespace Orchestra.Workspace;

/// <summary>
/// Remembers which definition files passed their checks, by size and modification time, in
/// <c>.orchestra/cache/checked.tsv</c>. A command on the hot path (<c>start</c>) can then trust an
/// unchanged file without parsing it again; any change, or a missing or unreadable cache, means a full check.
/// </summary>
public sealed class CheckedDefinitions
{
    private readonly string _path;
    private Dictionary<string, (long Length, long Ticks, string Payload)>? _entries;

    /// <summary>Creates the cache of a workspace's state folder.</summary>
    public CheckedDefinitions(string stateDir) => _path = Path.Combine(stateDir, "cache", "checked.tsv");

    /// <summary>The payload stored when <paramref name="file"/> was last checked, or null when it changed since (or never passed).</summary>
    public string? Lookup(string key, string file)
    {
        var entries = _entries ??= Read();
        if (!entries.TryGetValue(key, out var entry))
            return null;
        var info = new FileInfo(file);
        return info.Exists && info.Length == entry.Length && info.LastWriteTimeUtc.Ticks == entry.Ticks ? entry.Payload : null;
    }

    /// <summary>Records that <paramref name="file"/>, as it is now, passed its checks. Failures to write are ignored: it is only a cache.</summary>
    public void Record(string key, string file, string payload = "")
    {
        var entries = _entries ??= Read();
        var info = new FileInfo(file);
        if (!info.Exists || payload.Contains('\n', StringComparison.Ordinal) || payload.Contains('\t', StringComparison.Ordinal))
            return;
        entries[key] = (info.Length, info.LastWriteTimeUtc.Ticks, payload);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temp = $"{_path}.{Environment.ProcessId}.tmp";
            File.WriteAllLines(temp, entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key}\t{e.Value.Length}\t{e.Value.Ticks}\t{e.Value.Payload}")));
            File.Move(temp, _path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only workspace simply checks every time.
        }
    }

    private Dictionary<string, (long, long, string)> Read()
    {
        var entries = new Dictionary<string, (long, long, string)>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists(_path))
                return entries;
            foreach (var line in File.ReadLines(_path))
            {
                var parts = line.Split('\t');
                if (parts.Length == 4
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                    entries[parts[0]] = (length, ticks, parts[3]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            entries.Clear();
        }
        return entries;
    }
}
