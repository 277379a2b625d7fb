using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Core;

namespace Orchestra.Git;

/// <summary>A step's branch in one repository.</summary>
/// <param name="Branch">The step's branch.</param>
/// <param name="Base">The commit the branch started from: the session branch's tip when the step's worktree was made.</param>
/// <param name="Commit">The step's last recorded commit, or null when it has recorded none.</param>
public sealed record StepRepoState(string Branch, string Base, string? Commit);

/// <summary>
/// What Orchestra remembers about an isolated step, in <c>.orchestra/worktrees/&lt;run&gt;/&lt;step&gt;.json</c>: its
/// branches and bases per repository. It outlives the worktree, so a merged step can still be diffed.
/// </summary>
internal sealed record StepMetadata(string Run, string Step, string Name, string Agent, DateTimeOffset CreatedAt, IReadOnlyDictionary<string, StepRepoState> Repos, bool Merged, bool Committed = false)
{
    public JsonObject ToJson()
    {
        var repos = new JsonObject();
        foreach (var (name, r) in Repos)
            repos[name] = new JsonObject { ["branch"] = r.Branch, ["base"] = r.Base, ["commit"] = r.Commit };
        return new JsonObject
        {
            ["run"] = Run,
            ["step"] = Step,
            ["name"] = Name,
            ["agent"] = Agent,
            ["created_at"] = CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["committed"] = Committed,
            ["merged"] = Merged,
            ["repos"] = repos,
        };
    }

    public static StepMetadata FromJson(JsonObject o)
    {
        var repos = new Dictionary<string, StepRepoState>(StringComparer.Ordinal);
        foreach (var (name, node) in o["repos"]!.AsObject())
            repos[name] = new StepRepoState((string)node!["branch"]!, (string)node["base"]!, (string?)node["commit"]);
        return new StepMetadata(
            (string)o["run"]!, (string)o["step"]!, (string?)o["name"] ?? "", (string?)o["agent"] ?? "",
            DateTimeOffset.Parse((string)o["created_at"]!, CultureInfo.InvariantCulture), repos, (bool?)o["merged"] ?? false, (bool?)o["committed"] ?? false);
    }
}

/// <summary>A run's session branch per repository, in <c>.orchestra/worktrees/&lt;run&gt;/run.json</c>.</summary>
internal sealed record SessionMetadata(DateTimeOffset CreatedAt, IReadOnlyDictionary<string, string> Bases)
{
    public JsonObject ToJson()
    {
        var bases = new JsonObject();
        foreach (var (name, sha) in Bases)
            bases[name] = sha;
        return new JsonObject { ["created_at"] = CreatedAt.ToString("O", CultureInfo.InvariantCulture), ["bases"] = bases };
    }

    public static SessionMetadata FromJson(JsonObject o) =>
        new(DateTimeOffset.Parse((string)o["created_at"]!, CultureInfo.InvariantCulture),
            o["bases"]!.AsObject().ToDictionary(kv => kv.Key, kv => (string)kv.Value!, StringComparer.Ordinal));
}

/// <summary>Reads and writes the metadata files: whole or not at all.</summary>
internal static class MetadataFile
{
    public static JsonObject? Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject
                ?? throw new OrchestraException($"{path} is not an Orchestra worktree record: delete it, or run 'orchestra cleanup'.", ErrorKind.Environment);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            throw new OrchestraException($"{path} is damaged ({ex.Message.Split('\n')[0]}): delete it, or run 'orchestra cleanup'.", ErrorKind.Environment, ex);
        }
    }

    /// <summary>Writes <paramref name="json"/> to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, JsonObject json) => Publish(path, json, overwrite: true);

    /// <summary>Writes <paramref name="json"/> to <paramref name="path"/> unless it exists; false when it did.</summary>
    public static bool TryCreate(string path, JsonObject json) => Publish(path, json, overwrite: false);

    private static bool Publish(string path, JsonObject json, bool overwrite)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, json.ToJsonString() + "\n");
        try
        {
            File.Move(temp, path, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }
}
