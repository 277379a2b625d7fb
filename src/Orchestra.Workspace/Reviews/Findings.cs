using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;

namespace Orchestra.Workspace.Reviews;

/// <summary>How serious a finding is.</summary>
public enum Severity
{
    /// <summary>For information.</summary>
    Info,
    /// <summary>Worth fixing.</summary>
    Minor,
    /// <summary>Should be fixed before release.</summary>
    Major,
    /// <summary>Must be fixed now.</summary>
    Critical,
}

/// <summary>One problem a reviewer reported.</summary>
public sealed record Finding(string Reviewer, string? File, int? Line, Severity Severity, string Category, string Message, string? SuggestedFix);

/// <summary>What one reviewer answered: a summary and findings, or why the answer could not be read.</summary>
public sealed record ReviewAnswer(string Reviewer, string StepId, string? Summary, IReadOnlyList<Finding> Findings, string? Problem);

/// <summary>Findings of several reviewers that describe the same problem.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">The first line any reviewer gave.</param>
/// <param name="Severity">The highest severity given.</param>
/// <param name="Category">The category of the first finding.</param>
/// <param name="Findings">The findings, one per reviewer at most.</param>
/// <param name="ReviewerCount">How many reviewers took part.</param>
public sealed record FindingGroup(string? File, int? Line, Severity Severity, string Category, IReadOnlyList<Finding> Findings, int ReviewerCount)
{
    /// <summary>The reviewers who raised it.</summary>
    public IReadOnlyList<string> Reviewers => Findings.Select(f => f.Reviewer).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>True when more than one reviewer raised it.</summary>
    public bool Agreed => Reviewers.Count > 1;
}

/// <summary>Reads reviewers' answers and compares them.</summary>
public static class Findings
{
    private static readonly OutputSchema Schema = OutputSchema.Parse(JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "summary": { "type": ["string", "null"] },
            "findings": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "file": { "type": ["string", "null"] },
                  "line": { "type": ["integer", "null"] },
                  "severity": { "enum": ["critical", "major", "minor", "info"] },
                  "category": { "type": "string" },
                  "message": { "type": "string", "minLength": 1 },
                  "suggested_fix": { "type": ["string", "null"] }
                },
                "required": ["severity", "message"]
              }
            }
          },
          "required": ["findings"]
        }
        """));

    /// <summary>The JSON Schema of an answer, for agents that take one.</summary>
    public static JsonObject AnswerSchema => (JsonObject)Schema.Document.DeepClone();

    /// <summary>Reads one reviewer's output; an unreadable answer is kept with the problem, never dropped.</summary>
    public static ReviewAnswer Parse(string reviewer, string stepId, string? output)
    {
        if (string.IsNullOrWhiteSpace(output))
            return new ReviewAnswer(reviewer, stepId, null, [], "the reviewer gave no answer");
        var node = OutputSchema.ParseOutput(ExtractJson(output), out var error);
        if (error is not null)
            return new ReviewAnswer(reviewer, stepId, null, [], error);
        var problems = Schema.Validate(node);
        if (problems.Count > 0)
            return new ReviewAnswer(reviewer, stepId, null, [], "the answer does not follow the review format: " + string.Join("; ", problems.Take(3)));
        var findings = new List<Finding>();
        foreach (var f in node!["findings"]!.AsArray())
        {
            findings.Add(new Finding(
                reviewer,
                Text(f, "file") is { } file ? NormalizePath(file) : null,
                f!["line"] is JsonValue line && line.GetValueKind() == JsonValueKind.Number ? (int)double.Parse(line.ToJsonString(), CultureInfo.InvariantCulture) : null,
                Enum.Parse<Severity>(Text(f, "severity")!, ignoreCase: true),
                (Text(f, "category") ?? "general").Trim().ToLowerInvariant(),
                Text(f, "message")!.Trim(),
                Text(f, "suggested_fix")));
        }
        return new ReviewAnswer(reviewer, stepId, Text(node, "summary"), findings, null);
    }

    // Models often wrap the document in prose; the outermost braces are the answer.
    private static string ExtractJson(string output)
    {
        var trimmed = output.Trim();
        if (trimmed.StartsWith('{') || trimmed.StartsWith("```", StringComparison.Ordinal))
            return trimmed;
        var start = trimmed.IndexOf('{', StringComparison.Ordinal);
        var end = trimmed.LastIndexOf('}');
        return start >= 0 && end > start ? trimmed[start..(end + 1)] : trimmed;
    }

    private static string? Text(JsonNode? node, string key) =>
        node?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string NormalizePath(string path) => path.Replace('\\', '/').TrimStart('.', '/');

    /// <summary>
    /// Groups findings that describe the same problem: the same file, lines at most 5 apart (or both without a
    /// line), and the same category or messages that share most of their words. A reviewer counts once per group.
    /// </summary>
    public static IReadOnlyList<FindingGroup> Compare(IReadOnlyList<ReviewAnswer> answers)
    {
        var reviewers = answers.Count;
        var order = answers.Select((a, i) => (a.Reviewer, i)).GroupBy(x => x.Reviewer).ToDictionary(x => x.Key, x => x.First().i, StringComparer.Ordinal);
        var groups = new List<List<Finding>>();
        foreach (var finding in answers.SelectMany(a => a.Findings).OrderByDescending(f => f.Severity))
        {
            var home = groups.FirstOrDefault(g => g.All(other => other.Reviewer != finding.Reviewer) && g.Any(other => Same(finding, other)));
            if (home is null)
                groups.Add([finding]);
            else
                home.Add(finding);
        }
        return groups
            .Select(g => new FindingGroup(g[0].File, g.Min(f => f.Line), g.Max(f => f.Severity), g[0].Category, g.OrderBy(f => order[f.Reviewer]).ToList(), reviewers))
            .OrderByDescending(g => g.Severity).ThenByDescending(g => g.Reviewers.Count).ThenBy(g => g.File, StringComparer.Ordinal).ThenBy(g => g.Line)
            .ToList();
    }

    private static bool Same(Finding a, Finding b)
    {
        if (!string.Equals(a.File, b.File, StringComparison.Ordinal))
            return false;
        if (a.Line is { } la && b.Line is { } lb ? Math.Abs(la - lb) > 5 : a.Line != b.Line)
            return false;
        return a.Category == b.Category || Similarity(a.Message, b.Message) >= 0.3;
    }

    private static double Similarity(string a, string b)
    {
        static HashSet<string> Words(string s) => s.ToLowerInvariant()
            .Split([' ', ',', '.', ':', ';', '(', ')', '\'', '"', '`', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length > 3).ToHashSet(StringComparer.Ordinal);
        var wa = Words(a);
        var wb = Words(b);
        if (wa.Count == 0 || wb.Count == 0)
            return 0;
        return (double)wa.Intersect(wb).Count() / wa.Union(wb).Count();
    }

    /// <summary>The review as JSON: each reviewer's summary and problems, and the compared groups.</summary>
    public static JsonObject ToJson(string runId, string template, IReadOnlyList<ReviewAnswer> answers, IReadOnlyList<FindingGroup> groups) => new()
    {
        ["run_id"] = runId,
        ["template"] = template,
        ["reviewers"] = new JsonArray(answers.Select(a => (JsonNode?)new JsonObject
        {
            ["agent"] = a.Reviewer,
            ["step_id"] = a.StepId,
            ["summary"] = a.Summary,
            ["findings"] = a.Findings.Count,
            ["problem"] = a.Problem,
        }).ToArray()),
        ["findings"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject
        {
            ["file"] = g.File,
            ["line"] = g.Line,
            ["severity"] = g.Severity.ToString().ToLowerInvariant(),
            ["category"] = g.Category,
            ["reviewers"] = new JsonArray(g.Reviewers.Select(r => (JsonNode?)r).ToArray()),
            ["agreement"] = $"{g.Reviewers.Count}/{g.ReviewerCount}",
            ["messages"] = new JsonArray(g.Findings.Select(f => (JsonNode?)new JsonObject
            {
                ["agent"] = f.Reviewer,
                ["message"] = f.Message,
                ["suggested_fix"] = f.SuggestedFix,
            }).ToArray()),
        }).ToArray()),
    };

    /// <summary>The review as a markdown report.</summary>
    public static string ToMarkdown(string runId, string template, IReadOnlyList<ReviewAnswer> answers, IReadOnlyList<FindingGroup> groups)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Review `{template}` (run {runId})\n\n");
        foreach (var a in answers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- **{a.Reviewer}** ({a.Findings.Count} finding{(a.Findings.Count == 1 ? "" : "s")}): ");
            sb.Append(a.Problem is not null ? $"_{a.Problem}_" : a.Summary ?? "");
            sb.Append('\n');
        }
        sb.Append('\n');
        if (groups.Count == 0)
        {
            sb.Append("No findings.\n");
            return sb.ToString();
        }
        var several = answers.Count > 1;
        sb.Append(several ? "| severity | where | category | raised by | finding |\n|---|---|---|---|---|\n" : "| severity | where | category | finding |\n|---|---|---|---|\n");
        foreach (var g in groups)
        {
            var where = g.File is null ? "-" : g.Line is { } l ? $"`{g.File}:{l}`" : $"`{g.File}`";
            var message = string.Join("<br>", g.Findings.Select(f => (several ? $"{f.Reviewer}: " : "") + Cell(f.Message) + (f.SuggestedFix is { Length: > 0 } fix ? $" _Fix: {Cell(fix)}_" : "")));
            var who = g.Agreed ? $"{string.Join(", ", g.Reviewers)} ({g.Reviewers.Count}/{g.ReviewerCount})" : $"only {g.Reviewers[0]}";
            sb.Append(several
                ? $"| {g.Severity.ToString().ToLowerInvariant()} | {where} | {g.Category} | {who} | {message} |\n"
                : $"| {g.Severity.ToString().ToLowerInvariant()} | {where} | {g.Category} | {message} |\n");
        }
        return sb.ToString();
    }

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
}
