using Orchestra.Core;

namespace Orchestra.Workspace.Reviews;

/// <summary>A review template: what the reviewer is asked to look at and how to answer.</summary>
/// <param name="Name">The name used with <c>--template</c>.</param>
/// <param name="Description">One line for help text.</param>
/// <param name="Instructions">The reviewer's instructions.</param>
public sealed record ReviewTemplate(string Name, string Description, string Instructions);

/// <summary>The built-in review templates and the answer format every reviewer must use.</summary>
public static class ReviewTemplates
{
    /// <summary>The JSON every reviewer answers with.</summary>
    public const string AnswerFormat = """
        Answer with one JSON document and nothing else:
        {"summary": "<two or three sentences>",
         "findings": [{"file": "<path relative to the workspace, or null>", "line": <number or null>,
                       "severity": "critical|major|minor|info", "category": "<one or two words, lower case>",
                       "message": "<what is wrong and why it matters>", "suggested_fix": "<how to fix it, or null>"}]}
        Report each problem once. Do not change any file: this is a read-only review.
        """;

    private static readonly ReviewTemplate[] All =
    [
        new("code", "bugs, security, error handling, tests and the rules file, line by line",
            """
            You are reviewing source code. Look for defects: wrong logic, unhandled errors and edge cases, resource
            leaks, concurrency problems, security issues (injection, secrets, unchecked input, path traversal), missing
            or weak tests, and breaches of the project's rules below. Cite the file and line of each finding. Prefer
            few well-founded findings over many speculative ones.
            """),
        new("arch", "module boundaries, dependencies, coupling, failure modes and operability",
            """
            You are reviewing the architecture of the code in scope. Look at module boundaries and their
            dependencies (direction, cycles, leaks of one layer into another), coupling and cohesion, how failures
            propagate and are recovered from, data ownership and consistency, configuration, observability and
            performance hot spots. Name the files that show each problem.
            """),
        new("tasks", "a plan or task list: gaps, ordering, dependencies, risks and acceptance criteria",
            """
            You are reviewing a plan or task list. Look for missing tasks, tasks that are too large to do or check
            in one go, wrong ordering and missing dependencies, unclear or untestable acceptance criteria, risks
            without a mitigation, and work that duplicates existing code. Cite the file and line of each finding.
            """),
    ];

    /// <summary>The template names.</summary>
    public static IReadOnlyList<string> Names => All.Select(t => t.Name).ToList();

    /// <summary>The template called <paramref name="name"/>.</summary>
    /// <exception cref="OrchestraException">No such template; the message lists them.</exception>
    public static ReviewTemplate Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new OrchestraException($"unknown review template '{name}': use one of {string.Join(", ", All.Select(t => t.Name))}.");

    /// <summary>The prompt for one reviewer.</summary>
    public static string Prompt(ReviewTemplate template, IReadOnlyList<string> scope, string? rules)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(template.Instructions.Trim());
        sb.AppendLine();
        sb.AppendLine(scope.Count == 0 ? "Scope: the whole workspace." : $"Scope: {string.Join(", ", scope)}");
        if (!string.IsNullOrWhiteSpace(rules))
        {
            sb.AppendLine();
            sb.AppendLine("Project rules:");
            sb.AppendLine(rules.Trim());
        }
        sb.AppendLine();
        sb.Append(AnswerFormat.Trim());
        return sb.ToString();
    }
}
