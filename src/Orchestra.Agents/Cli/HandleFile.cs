using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Processes;

namespace Orchestra.Agents.Cli;

/// <summary>
/// <see cref="OrchestraPaths.HandleFile"/> of a detached agent (<c>cli</c>, <c>codex</c>): its handle written to disk
/// before the process starts (pid 0) and again once it has a pid, ahead of the store's record. A worker that dies
/// between starting the process and the store recording its handle leaves this file, so the next worker finds the
/// process (by pid, or by its environment) instead of starting the step a second time.
/// </summary>
internal static class HandleFile
{
    private const int MaxBytes = 64 * 1024;

    /// <summary>Writes the handle of <paramref name="attempt"/>, whole (written aside, then renamed into place).</summary>
    /// <param name="paths">The workspace layout.</param>
    /// <param name="stepId">The step.</param>
    /// <param name="attempt">The attempt the handle belongs to; an older attempt's file is never read for a newer one.</param>
    /// <param name="handle">The handle; pid and start time 0 before the process starts.</param>
    /// <param name="errorOffset">Where the attempt begins in a separate standard error log, if the agent keeps one.</param>
    public static void Write(OrchestraPaths paths, string stepId, int attempt, CliHandle handle, long? errorOffset = null)
    {
        var json = new JsonObject
        {
            ["attempt"] = attempt,
            ["pid"] = handle.Pid,
            ["start"] = handle.Start,
            ["log"] = handle.Log,
            ["offset"] = handle.Offset,
        };
        if (errorOffset is { } e)
            json["error_offset"] = e;
        var file = paths.HandleFile(stepId);
        try
        {
            Directory.CreateDirectory(paths.StepsDir);
            File.WriteAllText(file + ".tmp", json.ToJsonString());
            File.Move(file + ".tmp", file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The store's record is what counts; the file only narrows the moment a crash could lose the process.
        }
    }

    /// <summary>
    /// The handle written for <paramref name="attempt"/> (pid 0 when it was written before the process started) and its
    /// error log offset (0 when it has none); null when there is no file for that attempt.
    /// </summary>
    public static (CliHandle Handle, long ErrorOffset)? Read(OrchestraPaths paths, string stepId, int attempt)
    {
        string text;
        try
        {
            using var stream = new FileStream(paths.HandleFile(stepId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[(int)Math.Min(stream.Length, MaxBytes)];
            stream.ReadExactly(buffer);
            text = Encoding.UTF8.GetString(buffer);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            if (JsonNode.Parse(text) is not JsonObject o || o["attempt"] is not JsonValue a || !a.TryGetValue<int>(out var written) || written != attempt)
                return null;
            var log = o["log"] is JsonValue l && l.TryGetValue<string>(out var path) ? path : "";
            var offset = o["offset"] is JsonValue off && off.TryGetValue<long>(out var value) ? value : 0;
            var errorOffset = o["error_offset"] is JsonValue eo && eo.TryGetValue<long>(out var e) ? e : 0;
            return (CliHandle.TryParse(text) ?? new CliHandle(0, 0, log, offset), errorOffset);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The live process that leads its own process group and was started for this step and attempt (its
    /// <c>ORCHESTRA_STEP_ID</c> and <c>ORCHESTRA_ATTEMPT</c>), if exactly one is.
    /// </summary>
    public static ProcessIdentity? FindProcess(string stepId, int attempt)
    {
        var matches = ProcessProbe.FindGroupLeaders(
        [
            $"ORCHESTRA_STEP_ID={stepId}",
            $"ORCHESTRA_ATTEMPT={attempt.ToString(CultureInfo.InvariantCulture)}",
        ]);
        return matches.Count == 1 ? matches[0] : null;
    }
}
