using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Orchestra.Workspace.Yaml;

/// <summary>
/// A YAML file read as JSON, remembering where each value came from so that every error can name
/// <c>file:line:column</c>.
/// </summary>
public sealed class YamlSource
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    private YamlSource(string path, JsonNode? root)
    {
        Path = path;
        Root = root;
    }

    /// <summary>The file, as given.</summary>
    public string Path { get; }

    /// <summary>The document as JSON; null for an empty file.</summary>
    public JsonNode? Root { get; }

    /// <summary>Most bytes a YAML file may have. <value>The default value is 4 MiB.</value></summary>
    public const long MaxBytes = 4 * 1024 * 1024;

    /// <summary>Reads and parses a file.</summary>
    /// <exception cref="OrchestraException">The file is missing, too large or not valid YAML.</exception>
    public static YamlSource Load(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
                throw new OrchestraException($"{path}: no such file.", ErrorKind.NotFound);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException or ArgumentException or NotSupportedException)
        {
            throw new OrchestraException($"{path}: cannot be read ({ex.Message}).", ErrorKind.Usage, ex);
        }
        if (info.Length > MaxBytes)
            throw new OrchestraException($"{path}: {info.Length / 1024} KiB is too large for a definition file (at most {MaxBytes / 1024 / 1024} MiB).");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new OrchestraException($"{path}: cannot be read ({ex.Message}).", ErrorKind.Usage, ex);
        }
        return Parse(path, text);
    }

    /// <summary>Parses YAML text; <paramref name="path"/> names it in errors.</summary>
    public static YamlSource Parse(string path, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var reason = (ex.InnerException?.Message ?? ex.Message).Replace(Environment.NewLine, " ", StringComparison.Ordinal);
            // YamlDotNet's messages start with its own position; ours comes first instead.
            var close = reason.IndexOf("): ", StringComparison.Ordinal);
            if (reason.StartsWith("(Line", StringComparison.Ordinal) && close > 0)
                reason = reason[(close + 3)..];
            throw new OrchestraException($"{path}:{ex.Start.Line}:{ex.Start.Column}: invalid YAML: {reason}");
        }
        if (stream.Documents.Count == 0)
            return new YamlSource(path, null);
        if (stream.Documents.Count > 1)
            throw new OrchestraException($"{path}: holds {stream.Documents.Count} YAML documents; put one per file.");
        var source = new YamlSource(path, null);
        var root = source.Convert(stream.Documents[0].RootNode, "$");
        var result = new YamlSource(path, root);
        foreach (var kv in source._positions)
            result._positions[kv.Key] = kv.Value;
        return result;
    }

    /// <summary><c>file:line:column</c> of the value at a JSON path such as <c>$.tasks[2].agent</c>; the nearest parent's when unknown.</summary>
    public string Where(string jsonPath)
    {
        var p = jsonPath;
        while (p.Length > 0)
        {
            if (_positions.TryGetValue(p, out var pos))
                return $"{Path}:{pos.Line}:{pos.Column}";
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            if (cut <= 0) break;
            p = p[..cut];
        }
        return _positions.TryGetValue("$", out var root) ? $"{Path}:{root.Line}:{root.Column}" : Path;
    }

    /// <summary>An error at a JSON path, as an exception to throw.</summary>
    public OrchestraException Error(string jsonPath, string message, ErrorKind kind = ErrorKind.Usage) =>
        new($"{Where(jsonPath)}: {message}", kind);

    private JsonNode? Convert(YamlNode node, string path)
    {
        _positions[path] = ((int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new OrchestraException($"{Path}:{k.Start.Line}:{k.Start.Column}: keys must be plain text.");
                    var childPath = $"{path}.{key}";
                    _positions[childPath] = ((int)k.Start.Line, (int)k.Start.Column);
                    if (obj.ContainsKey(key))
                        throw new OrchestraException($"{Path}:{k.Start.Line}:{k.Start.Column}: duplicate key '{key}'.");
                    obj[key] = Convert(v, childPath);
                    _positions[childPath] = ((int)k.Start.Line, (int)k.Start.Column);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                var i = 0;
                foreach (var item in seq.Children)
                    arr.Add(Convert(item, $"{path}[{i++}]"));
                return arr;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new OrchestraException($"{Path}:{node.Start.Line}:{node.Start.Column}: aliases and anchors are not supported.");
        }
    }

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
            return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if ((char.IsAsciiDigit(value[0]) || value[0] is '-' or '+' or '.') && value.Any(char.IsAsciiDigit)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }
}
