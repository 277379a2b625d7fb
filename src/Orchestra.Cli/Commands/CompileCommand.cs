using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Orchestra.Cli.Rendering;
using Orchestra.Core;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;
using Orchestra.Pipelines;
using Orchestra.Workspace;

namespace Orchestra.Cli.Commands;

/// <summary><c>orchestra compile pipeline.yaml</c>: check a pipeline and print its graph.</summary>
internal static class CompileCommand
{
    private static readonly Argument<string> File = new("pipeline") { Description = "The pipeline file (YAML)." };
    private static readonly Option<bool> Mermaid = new("--mermaid") { Description = "Print the graph as a Mermaid flowchart instead of the summary." };
    private static readonly Option<bool> ShowPrompts = new("--show-prompts") { Description = "Print each node's prompt and where each of its layers came from." };
    private static readonly Option<bool> AsJson = new("--json") { Description = "Print the compiled pipeline (or its errors) as JSON." };

    public static Command Create()
    {
        var command = new Command("compile", "Check a pipeline file and print its nodes and edges; errors are listed as file:line:column.") { File, Mermaid, ShowPrompts, AsJson };
        command.SetAction((ctx, _) =>
        {
            var path = ctx.Parse.GetValue(File)!;
            var json = ctx.Parse.GetValue(AsJson);
            CompiledPipeline pipeline;
            try
            {
                pipeline = PipelineCompiler.Compile(path, new PipelineCompileOptions { Workspace = FindWorkspace(path) });
            }
            catch (PipelineException ex)
            {
                if (json)
                    Json.Write(ctx.Out, new JsonObject { ["file"] = path, ["errors"] = Diagnostics(ex.Errors), ["warnings"] = Diagnostics(ex.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning)) });
                foreach (var d in ex.Errors.Concat(ex.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning)))
                    ctx.Error.WriteLine(d.ToString());
                return Task.FromResult(ExitCodes.Usage);
            }
            foreach (var warning in pipeline.Warnings)
                ctx.Error.WriteLine(warning.ToString());
            if (json)
                Json.Write(ctx.Out, ToJson(pipeline, ctx.Parse.GetValue(Mermaid), ctx.Parse.GetValue(ShowPrompts)));
            else if (ctx.Parse.GetValue(Mermaid))
                ctx.Out.Write(pipeline.ToMermaid());
            else
            {
                ctx.Out.Write(Summary(pipeline));
                if (ctx.Parse.GetValue(ShowPrompts))
                    ctx.Out.Write(Prompts(pipeline));
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>The project the pipeline belongs to: found from its folder, else from the current one; null outside any.</summary>
    private static OrchestraWorkspace? FindWorkspace(string path)
    {
        foreach (var start in new[] { Path.GetDirectoryName(Path.GetFullPath(path)), Environment.CurrentDirectory })
        {
            try
            {
                return OrchestraWorkspace.Discover(start);
            }
            catch (OrchestraException)
            {
                // Not inside a project from here.
            }
        }
        return null;
    }

    private static string Summary(CompiledPipeline p)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"pipeline {p.Name}: {p.Nodes.Count} nodes, {p.Edges.Count} edges ({p.Document.Path})").AppendLine();
        if (p.Document.Description is { } description)
            sb.AppendLine(description);
        sb.AppendLine().AppendLine("nodes");
        var width = p.Nodes.Max(n => n.Name.Length);
        var agents = p.Nodes.Select(Agent).ToList();
        var agentWidth = agents.Max(a => a.Length);
        for (var i = 0; i < p.Nodes.Count; i++)
        {
            var n = p.Nodes[i];
            var settings = new List<string>();
            if (n.MaxAttempts > 1) settings.Add(string.Create(CultureInfo.InvariantCulture, $"attempts {n.MaxAttempts}"));
            if (n.Timeout is { } t) settings.Add($"timeout {Durations.Format(t)}");
            if (n.Approve) settings.Add(n.OnReject == Core.Graphs.RejectAction.Revise ? "approve (revise on reject)" : "approve");
            if (n.Agent.Mode == Pipelines.Model.AgentMode.Interactive) settings.Add("interactive");
            sb.Append(("  " + n.Name.PadRight(width) + "  " + agents[i].PadRight(agentWidth) + "  " + string.Join(", ", settings)).TrimEnd()).AppendLine();
        }
        sb.AppendLine().AppendLine("edges");
        foreach (var e in p.Edges)
            sb.Append("  ").AppendLine(Edge(e));
        return sb.ToString();
    }

    private static string Agent(CompiledNode n)
    {
        var details = new[] { n.Agent.Kind, n.Agent.Model }.Where(d => d is not null).ToList();
        var name = n.Agent.Use is { } use && use != n.Agent.Name ? $"{n.Agent.Name} → {use}" : n.Agent.Name;
        return details.Count == 0 ? name : $"{name} ({string.Join(", ", details)})";
    }

    private static string Edge(CompiledEdge e)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(" + ", e.From)).Append(" → ").Append(string.Join(", ", e.To));
        if (e.Condition is { } c)
            sb.Append("  if ").Append(c.Text);
        var notes = new List<string>();
        if (e.From.Count > 1) notes.Add(e.Join == JoinMode.All ? "join all" : "join any");
        if (e.MaxLoops is { } max) notes.Add(string.Create(CultureInfo.InvariantCulture, $"max_loops {max}{(e.Fallback is { } f ? $", then {f}" : "")}"));
        if (e.Approve) notes.Add("approve");
        if (notes.Count > 0)
            sb.Append("  (").Append(string.Join("; ", notes)).Append(')');
        return sb.ToString();
    }

    private static string Prompts(CompiledPipeline p)
    {
        var sb = new StringBuilder();
        foreach (var n in p.Nodes)
        {
            sb.AppendLine().Append("prompt of ").AppendLine(n.Name);
            foreach (var layer in n.Prompt.Layers)
                sb.Append(CultureInfo.InvariantCulture, $"  {layer.Layer.ToString().ToLowerInvariant(),-12} {layer.Origin.ToString().ToLowerInvariant(),-9} {layer.Source}").AppendLine();
            sb.AppendLine("  ---");
            foreach (var line in n.Prompt.Text.Split('\n'))
                sb.Append("  ").AppendLine(line.TrimEnd('\r'));
        }
        return sb.ToString();
    }

    private static JsonArray Diagnostics(IEnumerable<PipelineDiagnostic> diagnostics) =>
        new(diagnostics.Select(d => (JsonNode?)new JsonObject
        {
            ["file"] = d.File,
            ["line"] = d.Line,
            ["column"] = d.Column,
            ["message"] = d.Message,
        }).ToArray());

    private static JsonObject ToJson(CompiledPipeline p, bool mermaid, bool prompts)
    {
        var o = new JsonObject
        {
            ["name"] = p.Name,
            ["file"] = p.Document.Path,
            ["description"] = p.Document.Description,
            ["inputs"] = new JsonArray(p.Document.Inputs.Select(i => (JsonNode?)new JsonObject
            {
                ["name"] = i.Name,
                ["type"] = i.Type.ToString().ToLowerInvariant(),
                ["required"] = i.Required,
                ["default"] = i.Default?.DeepClone(),
            }).ToArray()),
            ["nodes"] = new JsonArray(p.Nodes.Select(n => (JsonNode?)Node(n, prompts)).ToArray()),
            ["edges"] = new JsonArray(p.Edges.Select(e => (JsonNode?)new JsonObject
            {
                ["id"] = e.Id,
                ["from"] = new JsonArray(e.From.Select(f => (JsonNode?)f).ToArray()),
                ["to"] = new JsonArray(e.To.Select(t => (JsonNode?)t).ToArray()),
                ["join"] = e.Join == JoinMode.All ? "all" : "any",
                ["condition"] = e.Condition?.Text,
                ["max_loops"] = e.MaxLoops,
                ["fallback"] = e.Fallback,
                ["approve"] = e.Approve,
                ["location"] = e.Location,
            }).ToArray()),
            ["max_failures"] = p.MaxFailures,
            ["warnings"] = Diagnostics(p.Warnings),
            ["errors"] = new JsonArray(),
        };
        if (mermaid)
            o["mermaid"] = p.ToMermaid();
        return o;
    }

    private static JsonObject Node(CompiledNode n, bool prompts)
    {
        var o = new JsonObject
        {
            ["name"] = n.Name,
            ["agent"] = n.Agent.Name,
            ["runtime_agent"] = n.Agent.RuntimeName,
            ["kind"] = n.Agent.Kind,
            ["model"] = n.Agent.Model,
            ["mode"] = n.Agent.Mode.ToString().ToLowerInvariant(),
            ["max_attempts"] = n.MaxAttempts,
            ["timeout"] = n.Timeout is { } t ? Durations.Format(t) : null,
            ["approve"] = n.Approve,
            ["on_reject"] = n.OnReject == Core.Graphs.RejectAction.Revise ? "revise" : "fail",
            ["location"] = n.Location,
        };
        if (prompts)
        {
            o["prompt"] = new JsonObject
            {
                ["layers"] = new JsonArray(n.Prompt.Layers.Select(l => (JsonNode?)new JsonObject
                {
                    ["layer"] = l.Layer.ToString().ToLowerInvariant(),
                    ["origin"] = l.Origin.ToString().ToLowerInvariant(),
                    ["source"] = l.Source,
                }).ToArray()),
                ["text"] = n.Prompt.Text,
            };
        }
        return o;
    }
}
