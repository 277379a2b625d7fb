using System.Globalization;
using System.Text.Json.Nodes;
using Orchestra.Core.Model;
using Spectre.Console;

namespace Orchestra.Cli.Rendering;

/// <summary>How steps and runs look in tables, plain lines and JSON.</summary>
internal static class StepView
{
    public static string Icon(StepStatus status) => status switch
    {
        StepStatus.Succeeded => "✓",
        StepStatus.Failed => "✗",
        StepStatus.TimedOut => "⏱",
        StepStatus.Cancelled => "⊘",
        StepStatus.Skipped => "↷",
        StepStatus.Superseded => "⤺",
        StepStatus.Running => "●",
        StepStatus.Ready => "◌",
        StepStatus.Waiting => "⏸",
        _ => "…",
    };

    public static string Colour(StepStatus status) => status switch
    {
        StepStatus.Succeeded => "green",
        StepStatus.Failed => "red",
        StepStatus.TimedOut => "yellow",
        StepStatus.Running => "blue",
        StepStatus.Ready => "cyan",
        StepStatus.Waiting => "magenta",
        _ => "grey",
    };

    public static string Colour(RunStatus status) => status switch
    {
        RunStatus.Completed => "green",
        RunStatus.Failed => "red",
        RunStatus.Running => "blue",
        RunStatus.Paused => "magenta",
        _ => "grey",
    };

    public static string Markup(StepStatus status) =>
        $"[{Colour(status)}]{Icon(status)} {status.ToWire()}[/]";

    public static TimeSpan? Duration(StepRecord s, DateTimeOffset now) =>
        s.StartedAt is { } start ? (s.FinishedAt ?? (s.Status == StepStatus.Running ? now : start)) - start : null;

    public static string Tokens(Usage u) => u.TotalTokens == 0 ? "-" : u.TotalTokens.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Cost(Usage u) => u.CostUsd == 0 ? "-" : "$" + u.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Short(string text, int max)
    {
        var one = text.ReplaceLineEndings(" ");
        return one.Length <= max ? one : one[..(max - 1)] + "…";
    }

    public static string Plain(StepRecord s, DateTimeOffset now)
    {
        var d = Duration(s, now) is { } t ? Durations.Format(t) : "-";
        var line = $"{Icon(s.Status)} {s.Id} {s.Name} ({s.Agent}) {s.Status.ToWire()} attempt {s.Attempt}/{s.MaxAttempts} {d}";
        if (!s.Usage.IsEmpty) line += $" {Tokens(s.Usage)} tok {Cost(s.Usage)}";
        if (s.Error is not null && s.Status != StepStatus.Succeeded) line += $" — {Short(s.Error, 160)}";
        return line;
    }

    public static JsonObject UsageJson(Usage u) => new()
    {
        ["input_tokens"] = u.InputTokens,
        ["output_tokens"] = u.OutputTokens,
        ["cached_tokens"] = u.CachedTokens,
        ["cost_usd"] = u.CostUsd,
    };

    public static JsonObject Json(StepRecord s, DateTimeOffset now, bool withOutput)
    {
        var o = new JsonObject
        {
            ["id"] = s.Id,
            ["run"] = s.RunId,
            ["name"] = s.Name,
            ["agent"] = s.Agent,
            ["status"] = s.Status.ToWire(),
            ["attempts"] = s.Attempt,
            ["max_attempts"] = s.MaxAttempts,
            ["priority"] = s.Priority,
            ["depends_on"] = new JsonArray(s.DependsOn.Select(d => (JsonNode?)d).ToArray()),
            ["created_at"] = s.CreatedAt,
            ["started_at"] = s.StartedAt,
            ["finished_at"] = s.FinishedAt,
            ["duration_ms"] = Duration(s, now) is { } t ? (long)t.TotalMilliseconds : null,
            ["timeout_ms"] = s.Timeout is { } to ? (long)to.TotalMilliseconds : null,
            ["usage"] = UsageJson(s.Usage),
            ["error"] = s.Error,
        };
        if (s.Node is not null) o["node"] = s.Node;
        if (withOutput)
        {
            o["prompt"] = s.Prompt;
            o["output"] = s.Output;
            o["result"] = s.Result?.DeepClone();
        }
        return o;
    }

    public static JsonObject Json(RunRecord r) => new()
    {
        ["id"] = r.Id,
        ["kind"] = r.Kind,
        ["name"] = r.Name,
        ["status"] = r.Status.ToWire(),
        ["created_at"] = r.CreatedAt,
        ["started_at"] = r.StartedAt,
        ["finished_at"] = r.FinishedAt,
        ["error"] = r.Error,
        ["state"] = r.State.DeepClone(),
    };

    /// <summary>The status table as text: box-drawn, coloured when <paramref name="ansi"/> is set.</summary>
    public static string Table(IEnumerable<StepRecord> steps, DateTimeOffset now, bool ansi, int width)
    {
        var table = new TextTable("ID", "RUN", "NAME", "AGENT", "STATUS", ">ATT", ">TIME", ">TOKENS", ">COST");
        foreach (var s in steps)
        {
            table.AddRow(
                (s.Id, null),
                (s.RunId, null),
                (Short(s.Name, 24), null),
                (s.Agent, null),
                ($"{Icon(s.Status)} {s.Status.ToWire()}", Colour(s.Status)),
                ($"{s.Attempt}/{s.MaxAttempts}", null),
                (Duration(s, now) is { } t ? Durations.Format(t) : "-", null),
                (Tokens(s.Usage), null),
                (Cost(s.Usage), null));
        }
        return table.Render(ansi, width);
    }
}
