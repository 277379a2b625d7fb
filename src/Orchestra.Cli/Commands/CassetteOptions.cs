using System.CommandLine;
using Orchestra.Agents.Llm;
using Orchestra.Core;

namespace Orchestra.Cli.Commands;

/// <summary><c>--record FILE</c> and <c>--replay FILE</c>: provider calls to or from a cassette.</summary>
internal static class CassetteOptions
{
    public static readonly Option<string?> Record = new("--record") { Description = "Record every LLM provider exchange to this cassette file.", HelpName = "file" };
    public static readonly Option<string?> Replay = new("--replay") { Description = "Answer LLM provider calls from this cassette: offline, no key, deterministic.", HelpName = "file" };

    /// <summary>Opens the cassette asked for, if any, and gives it to the workspace before any agent is built.</summary>
    public static Cassette? Apply(CliContext ctx)
    {
        var record = ctx.Parse.GetValue(Record);
        var replay = ctx.Parse.GetValue(Replay);
        if (record is not null && replay is not null)
            throw new OrchestraException("--record and --replay cannot be used together: record once, then replay.");
        var cassette = record is not null ? Cassette.StartRecording(Path.GetFullPath(record))
            : replay is not null ? Cassette.OpenForReplay(Path.GetFullPath(replay))
            : null;
        ctx.Workspace.UseCassette(cassette);
        return cassette;
    }

    /// <summary>One line on standard error about what the cassette did.</summary>
    public static void Report(CliContext ctx, Cassette? cassette)
    {
        if (cassette is null)
            return;
        if (cassette.Mode == CassetteMode.Record)
            ctx.Error.WriteLine($"recorded {cassette.Count} provider exchange(s) to {cassette.Path}");
        else
            ctx.Error.WriteLine($"replayed {cassette.Replayed} of {cassette.Count} provider exchange(s) from {cassette.Path}");
    }
}
