using System.Runtime.CompilerServices;
using System.Text;

namespace Orchestra.Agents.Tools;

/// <summary>Reading text files for tools: binary detection and lines of bounded length.</summary>
internal static class TextFiles
{
    /// <summary>How much of a file's start is looked at to decide whether it is binary.</summary>
    public const int SniffBytes = 8192;

    /// <summary>True when the first <see cref="SniffBytes"/> of <paramref name="stream"/> hold a NUL byte, as binary files do and text files do not. Leaves the stream at its start.</summary>
    public static async Task<bool> LooksBinaryAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[SniffBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                break;
            read += n;
        }
        stream.Position = 0;
        return buffer.AsSpan(0, read).Contains((byte)0);
    }

    /// <summary>Opens a file for reading, sharing it with writers.</summary>
    public static FileStream OpenRead(string fullPath) =>
        new(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);

    /// <summary>
    /// The lines of <paramref name="stream"/> (UTF-8 unless a byte order mark says otherwise), each cut to
    /// <paramref name="maxChars"/> characters so that one enormous line cannot fill memory. Line ends are
    /// <c>\n</c>, <c>\r\n</c> or <c>\r</c>.
    /// </summary>
    public static async IAsyncEnumerable<Line> ReadLinesAsync(Stream stream, int maxChars, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true);
        var buffer = new char[16 * 1024];
        var line = new StringBuilder();
        var cut = false;
        var pendingCr = false;
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                var c = buffer[i];
                if (pendingCr)
                {
                    pendingCr = false;
                    if (c == '\n')
                        continue;
                }
                if (c is '\n' or '\r')
                {
                    yield return new Line(line.ToString(), cut);
                    line.Clear();
                    cut = false;
                    pendingCr = c == '\r';
                    continue;
                }
                if (line.Length < maxChars)
                    line.Append(c);
                else
                    cut = true;
            }
        }
        if (line.Length > 0 || cut)
            yield return new Line(line.ToString(), cut);
    }

    /// <summary><paramref name="text"/> cut to <paramref name="maxBytes"/> UTF-8 bytes (never in the middle of a character).</summary>
    public static string CutToBytes(string text, int maxBytes)
    {
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var size = pair ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            if (bytes + size > maxBytes)
                return text[..i];
            bytes += size;
            if (pair)
                i++;
        }
        return text;
    }

    /// <summary>A size in bytes for people: <c>900 bytes</c>, <c>12 KiB</c>, <c>3.4 MiB</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => $"{bytes / 1024} KiB",
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
    };

    /// <summary>One line of a text file.</summary>
    /// <param name="Text">The line without its end, possibly cut.</param>
    /// <param name="Cut">True when the line was longer than the limit and was cut.</param>
    public readonly record struct Line(string Text, bool Cut);
}
