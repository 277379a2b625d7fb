using System.Globalization;

namespace Orchestra.Cli;

/// <summary>The <c>--debug</c> log: <c>.orchestra/logs/orchestra.log</c>. Never holds secrets or prompt bodies.</summary>
internal static class DebugLog
{
    public static void Write(CliContext context, string message)
    {
        if (!context.Debug)
            return;
        try
        {
            var dir = context.Workspace.Paths.LogsDir;
            Directory.CreateDirectory(dir);
            var line = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O} [{Environment.ProcessId}] {message}{Environment.NewLine}");
            File.AppendAllText(Path.Combine(dir, "orchestra.log"), line);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Core.OrchestraException)
        {
            // Diagnostics must never break a command.
        }
    }
}
