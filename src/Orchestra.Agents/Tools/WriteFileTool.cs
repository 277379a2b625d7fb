using System.Text;

namespace Orchestra.Agents.Tools;

/// <summary>
/// <c>write_file(path, content)</c>: creates or replaces a text file atomically (a temporary file in the same
/// directory, then a rename), creating missing parent directories inside the workspace.
/// </summary>
internal sealed class WriteFileTool(ToolContext context) : BuiltInTool(BuiltInToolNames.WriteFile,
    "Creates or replaces a file of the workspace with the given content (the whole file). Missing parent directories are created.",
    Parameters)
{
    /// <summary>The largest content one call may write.</summary>
    public const int MaxContentBytes = 10 * 1024 * 1024;

    private static readonly ToolParameter[] Parameters =
    [
        new("path", ToolParameterType.String, "The file, relative to the workspace root.", Required: true),
        new("content", ToolParameterType.String, "The complete new content of the file.", Required: true),
    ];

    protected override async ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        var path = arguments.RequiredString("path");
        var content = arguments.String("content") ?? "";
        var bytes = new UTF8Encoding(false).GetBytes(content);
        if (bytes.Length > MaxContentBytes)
            throw new ToolException($"the content is {TextFiles.Size(bytes.Length)}; write_file writes at most {TextFiles.Size(MaxContentBytes)} at once");
        var full = context.Root.Resolve(path, PathAccess.Write);
        if (Directory.Exists(full))
            throw new ToolException($"'{path}' is a directory; name a file");
        var existed = File.Exists(full);
        var directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (IOException)
        {
            throw new ToolException($"cannot create the directory for '{path}': a file is in the way");
        }

        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            if (existed && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(full));
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        return $"wrote {TextFiles.Size(bytes.Length)} to '{context.Root.Relative(full)}' ({(existed ? "replaced" : "new file")})";
    }
}
