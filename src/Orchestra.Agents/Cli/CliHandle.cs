using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.Cli;

/// <summary>
/// What a cli agent records with <c>SetHandleAsync</c> before it waits:
/// <c>{"pid":123,"start":456,"log":"/…/.orchestra/logs/s….log","offset":789}</c>. The start time guards against pid
/// reuse; the offset is where this attempt's output begins in the step's log.
/// </summary>
/// <param name="Pid">The process id, also its process group.</param>
/// <param name="Start">The process start time from <c>/proc/&lt;pid&gt;/stat</c>.</param>
/// <param name="Log">The log file.</param>
/// <param name="Offset">The length of the log when the attempt started.</param>
public sealed record CliHandle(int Pid, long Start, string Log, long Offset)
{
    /// <summary>The process the handle names.</summary>
    public ProcessIdentity Process => new(Pid, Start);

    /// <summary>The JSON text of the handle.</summary>
    public string ToJson() => new JsonObject
    {
        ["pid"] = Pid,
        ["start"] = Start,
        ["log"] = Log,
        ["offset"] = Offset,
    }.ToJsonString();

    /// <summary>Reads a handle; null when <paramref name="text"/> is not one.</summary>
    public static CliHandle? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            if (JsonNode.Parse(text) is not JsonObject o
                || o["pid"] is not JsonValue pid || !pid.TryGetValue<int>(out var p) || p <= 1
                || o["start"] is not JsonValue start || !start.TryGetValue<long>(out var s))
                return null;
            var log = o["log"] is JsonValue l && l.TryGetValue<string>(out var logPath) ? logPath : "";
            var offset = o["offset"] is JsonValue off && off.TryGetValue<long>(out var value) ? value : 0;
            return new CliHandle(p, s, log, offset);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
