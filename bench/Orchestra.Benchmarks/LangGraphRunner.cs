using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Orchestra.Benchmarks;

/// <summary>Runs bench/langgraph/bench.mjs with node and reads its JSON lines.</summary>
internal sealed class LangGraphRunner
{
    private const string Script = "bench.mjs";

    private readonly string _directory;
    private readonly string _node;

    private LangGraphRunner(string directory, string node)
    {
        _directory = directory;
        _node = node;
    }

    /// <summary>
    /// Finds bench/langgraph (given, or above the current directory or this program) and checks that its
    /// packages are installed; null with a one-line problem and its fix otherwise.
    /// </summary>
    public static LangGraphRunner? Locate(string? given, string node, out string problem)
    {
        var directory = given is not null ? Path.GetFullPath(given) : Search(Environment.CurrentDirectory) ?? Search(AppContext.BaseDirectory);
        if (directory is null || !File.Exists(Path.Combine(directory, Script)))
        {
            problem = $"bench/langgraph/{Script} was not found above {Environment.CurrentDirectory}: run from the repository or pass --langgraph-dir PATH.";
            return null;
        }
        string[] packages = ["@langchain/langgraph", "@langchain/langgraph-checkpoint-sqlite"];
        var missing = packages.Where(p => !File.Exists(Path.Combine(directory, "node_modules", p, "package.json"))).ToList();
        if (missing.Count > 0)
        {
            var prefix = Path.GetRelativePath(Environment.CurrentDirectory, directory);
            if (prefix.StartsWith("..", StringComparison.Ordinal))
                prefix = directory;
            problem = $"LangGraph.js is not installed ({string.Join(", ", missing)} missing): run `npm install --prefix {prefix}` and try again.";
            return null;
        }
        problem = "";
        return new LangGraphRunner(directory, node);
    }

    private static string? Search(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "langgraph");
            if (File.Exists(Path.Combine(candidate, Script)))
                return candidate;
        }
        return null;
    }

    private string[] Arguments(int runs, int warmup, int warmupMs, string synchronous, string[] graphs, string[] modes) =>
    [
        Path.Combine(_directory, Script),
        "--runs", runs.ToString(CultureInfo.InvariantCulture),
        "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
        "--warmup-ms", warmupMs.ToString(CultureInfo.InvariantCulture),
        "--synchronous", synchronous,
        "--graphs", string.Join(',', graphs),
        // Each Orchestra mode has two LangGraph counterparts: the fair one and one for reference.
        "--modes", string.Join(',', modes.SelectMany(m => m == "memory" ? ["none", "memory"] : (string[])["sqlite", "sqlite-async"])),
    ];

    /// <summary>The command line, for the report.</summary>
    public string Describe(int runs, int warmup, int warmupMs, string synchronous, string[] graphs, string[] modes) => string.Join(' ', [_node, .. Arguments(runs, warmup, warmupMs, synchronous, graphs, modes)]);

    /// <summary>The LangGraph results and a line naming the versions, or null and what went wrong.</summary>
    public async Task<(List<GraphResult>? Results, string Info)> RunAsync(int runs, int warmup, int warmupMs, string synchronous, string[] graphs, string[] modes)
    {
        var start = new ProcessStartInfo(_node)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in Arguments(runs, warmup, warmupMs, synchronous, graphs, modes))
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception ex)
        {
            return (null, $"'{_node}' could not be started ({ex.Message}): install Node.js 20 or later, or pass --node PATH.");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var results = new List<GraphResult>();
            string? info = null;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith('{'))
                    continue;
                var json = JsonNode.Parse(line)!.AsObject();
                if (json["done"] is not null)
                {
                    var versions = json["versions"]!.AsObject().Select(kv => $"{kv.Key} {kv.Value}");
                    info = $"LangGraph.js: node {json["node"]}, {string.Join(", ", versions)}, SQLite synchronous={json["synchronous"]}";
                    continue;
                }
                results.Add(new GraphResult(
                    "langgraph",
                    json["graph"]!.GetValue<string>(),
                    json["mode"]!.GetValue<string>(),
                    json["steps"]!.GetValue<int>(),
                    json["runs"]!.AsArray().Select(n => n!.GetValue<double>()).ToList()));
            }
            await process.WaitForExitAsync();
            var errors = await stderr;
            if (process.ExitCode != 0 || info is null)
                return (null, $"the LangGraph.js benchmark failed (exit code {process.ExitCode}): {LastLines(errors)}");
            return (results, info);
        }
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no output on stderr" : string.Join(" | ", lines.TakeLast(5));
    }
}
