namespace Orchestra.Git;

/// <summary>How one git command ended.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Output">Standard output.</param>
/// <param name="Error">Standard error.</param>
public readonly record struct GitResult(int ExitCode, string Output, string Error)
{
    /// <summary>True when git exited with 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Standard output without its trailing newline.</summary>
    public string Line => Output.TrimEnd('\n', '\r');

    /// <summary>The first non-empty line of standard error (or output), for one-line messages.</summary>
    public string FirstErrorLine
    {
        get
        {
            foreach (var text in new[] { Error, Output })
            {
                foreach (var line in text.Split('\n'))
                {
                    var trimmed = line.Trim();
                    if (trimmed.Length > 0)
                        return trimmed;
                }
            }
            return $"exit code {ExitCode}";
        }
    }
}
