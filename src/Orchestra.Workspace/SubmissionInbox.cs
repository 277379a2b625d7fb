using System.Text;
using System.Text.Json;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;

namespace Orchestra.Workspace;

/// <summary>
/// Tasks accepted without opening the store: <c>orchestra start</c> writes one file per task into
/// <c>.orchestra/inbox/</c> (named by its step id, written whole and renamed into place) and exits; the next
/// command that opens the store, and every worker on every poll, brings the files in, oldest first, and deletes
/// them. The ids are fixed when the task is accepted, so the id <c>start</c> prints is the step's id for good, and
/// bringing a file in twice creates nothing twice.
/// </summary>
public sealed class SubmissionInbox(string directory)
{
    private const int FormatVersion = 1;

    /// <summary>The directory.</summary>
    public string Directory { get; } = directory;

    /// <summary>Where files that cannot be brought in are moved, each with a <c>.error</c> file that says why.</summary>
    public string RejectedDirectory => Path.Combine(Directory, "rejected");

    /// <summary>True when files wait to be brought in.</summary>
    public bool HasPending => System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, "*.json").Any();

    /// <summary>Accepts one task; returns its step id.</summary>
    /// <exception cref="OrchestraException">The inbox cannot be written (permissions, a full disk).</exception>
    public string Accept(StepSpec step, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(step);
        var runId = Ids.NewRunId(time);
        var stepId = Ids.NewStepId(time);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", FormatVersion);
            w.WriteString("run_id", runId);
            w.WriteString("step_id", stepId);
            w.WriteString("agent", step.Agent);
            w.WriteString("prompt", step.Prompt);
            if (step.Name is not null) w.WriteString("name", step.Name);
            w.WriteNumber("priority", step.Priority);
            w.WriteNumber("max_attempts", step.MaxAttempts);
            if (step.Timeout is { } timeout) w.WriteNumber("timeout_ms", (long)timeout.TotalMilliseconds);
            if (step.OnDependencyFailure == DependencyFailurePolicy.Skip) w.WriteString("on_dependency_failure", "skip");
            if (step.Input is not null)
            {
                w.WritePropertyName("input");
                step.Input.WriteTo(w);
            }
            w.WriteEndObject();
        }
        var target = Path.Combine(Directory, stepId + ".json");
        var temp = Path.Combine(Directory, stepId + ".tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
                file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            // A reader sees the whole file or none of it.
            File.Move(temp, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new OrchestraException($"cannot queue the task in {Directory}: {ex.Message}", ErrorKind.Environment, ex);
        }
        return stepId;
    }

    /// <summary>Brings every waiting file into the store through <paramref name="engine"/>, oldest first; returns how many.</summary>
    public async ValueTask<int> IngestAsync(OrchestraEngine engine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (!System.IO.Directory.Exists(Directory))
            return 0;
        var files = System.IO.Directory.GetFiles(Directory, "*.json");
        if (files.Length == 0)
            return 0;
        // Step ids order by creation time, so file names do too.
        Array.Sort(files, StringComparer.Ordinal);
        var count = 0;
        foreach (var file in files)
        {
            RunSpec spec;
            try
            {
                spec = Read(file);
            }
            catch (FileNotFoundException)
            {
                continue; // brought in by another process meanwhile
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                Reject(file, $"not a queued task: {ex.Message}");
                continue;
            }
            try
            {
                var submission = await engine.SubmitAsync(spec, cancellationToken).ConfigureAwait(false);
                if (!submission.Existing)
                    count++;
            }
            catch (OrchestraException ex) when (ex.Kind != ErrorKind.Environment)
            {
                Reject(file, ex.Message);
                continue;
            }
            TryDelete(file);
        }
        return count;
    }

    private static RunSpec Read(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        var o = doc.RootElement;
        if (o.GetProperty("v").GetInt32() != FormatVersion)
            throw new FormatException($"format version {o.GetProperty("v").GetInt32()} is not {FormatVersion}");
        var agent = o.GetProperty("agent").GetString()!;
        var step = new StepSpec
        {
            Id = o.GetProperty("step_id").GetString(),
            Agent = agent,
            Prompt = o.GetProperty("prompt").GetString() ?? "",
            Name = o.TryGetProperty("name", out var name) ? name.GetString() : null,
            Priority = o.GetProperty("priority").GetInt32(),
            MaxAttempts = o.GetProperty("max_attempts").GetInt32(),
            Timeout = o.TryGetProperty("timeout_ms", out var t) ? TimeSpan.FromMilliseconds(t.GetInt64()) : null,
            OnDependencyFailure = o.TryGetProperty("on_dependency_failure", out var p) && p.GetString() == "skip" ? DependencyFailurePolicy.Skip : null,
            Input = o.TryGetProperty("input", out var input) ? System.Text.Json.Nodes.JsonObject.Create(input.Clone()) : null, // a copy: the document is disposed on return
        };
        return new RunSpec { Id = o.GetProperty("run_id").GetString(), Kind = RunKinds.Task, Name = step.Name ?? agent, Steps = [step] };
    }

    private void Reject(string file, string why)
    {
        try
        {
            System.IO.Directory.CreateDirectory(RejectedDirectory);
            var target = Path.Combine(RejectedDirectory, Path.GetFileName(file));
            File.Move(file, target, overwrite: true);
            File.WriteAllText(Path.ChangeExtension(target, ".error"), why + "\n", Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in place: the next intake tries again.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file left behind is brought in again as an existing run and deleted then.
        }
    }
}
