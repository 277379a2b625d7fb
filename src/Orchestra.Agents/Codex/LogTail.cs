using System.Buffers;
using System.Text;

namespace Orchestra.Agents.Codex;

/// <summary>
/// Follows a log file that a detached process appends to: each <see cref="ReadLines"/> returns the complete lines
/// written since the last call, from a starting offset. A line still being written is held back until its newline
/// arrives (or <see cref="ReadLines"/> is told the writer has finished).
/// </summary>
internal sealed class LogTail
{
    private const int ChunkBytes = 64 * 1024;

    private readonly string _path;
    private readonly ArrayBufferWriter<byte> _partial = new();
    private long _position;

    /// <summary>Follows <paramref name="path"/> from byte <paramref name="offset"/>.</summary>
    public LogTail(string path, long offset)
    {
        _path = path;
        _position = offset;
    }

    /// <summary>Where the next read starts.</summary>
    public long Position => _position;

    /// <summary>
    /// The complete lines appended since the last call (none when the file cannot be read). With
    /// <paramref name="final"/>, a last line without a newline is returned too.
    /// </summary>
    public IReadOnlyList<string> ReadLines(bool final = false)
    {
        var lines = new List<string>();
        try
        {
            using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < _position)
                _position = stream.Length;
            stream.Position = _position;
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                _position += read;
                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n')
                        continue;
                    _partial.Write(buffer.AsSpan(start, i - start));
                    lines.Add(Take());
                    start = i + 1;
                }
                _partial.Write(buffer.AsSpan(start, read - start));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Read again on the next call.
        }
        if (final && _partial.WrittenCount > 0)
            lines.Add(Take());
        return lines;
    }

    private string Take()
    {
        var text = Encoding.UTF8.GetString(_partial.WrittenSpan);
        _partial.ResetWrittenCount();
        return text.TrimEnd('\r');
    }
}
