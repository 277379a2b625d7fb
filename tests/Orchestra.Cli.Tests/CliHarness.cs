using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Orchestra.Cli.Tests;

/// <summary>The result of one command.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonNode Json() => JsonNode.Parse(Out)!;
}

/// <summary>Runs the built orchestra command as a user would, in a temporary workspace directory.</summary>
public sealed class CliHarness : IDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "orchestra.dll");

    public CliHarness()
    {
        Root = Directory.CreateTempSubdirectory("orchestra-cli-").FullName;
    }

    public string Root { get; }

    public string StateDir => Path.Combine(Root, ".orchestra");

    public Dictionary<string, string> Environment { get; } = new() { ["NO_COLOR"] = "1" };

    public CliResult Run(params string[] args) => RunIn(Root, null, args);

    public CliResult RunWithInput(string input, params string[] args) => RunIn(Root, input, args);

    public CliResult RunIn(string cwd, string? input, params string[] args) => Execute(StartInfo(cwd, args), input, args);

    /// <summary>
    /// Runs the command through <paramref name="wrapper"/>, a program and its first arguments that end up executing the
    /// rest of their arguments (the command), for example to start it with an extra file descriptor open.
    /// </summary>
    public CliResult RunWrapped(IReadOnlyList<string> wrapper, params string[] args) =>
        Execute(StartInfo(Root, args, wrapper), null, args);

    private static CliResult Execute(ProcessStartInfo startInfo, string? input, string[] args)
    {
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
            process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"orchestra {string.Join(' ', args)} did not finish");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the command in the workspace without waiting for it; dispose the result to kill it if it still runs.</summary>
    public BackgroundCli Start(params string[] args) => new(StartInfo(Root, args), args);

    private ProcessStartInfo StartInfo(string cwd, string[] args, IReadOnlyList<string>? wrapper = null)
    {
        var psi = new ProcessStartInfo(wrapper?[0] ?? System.Environment.ProcessPath!)
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var w in wrapper?.Skip(1) ?? [])
            psi.ArgumentList.Add(w);
        if (wrapper is not null)
            psi.ArgumentList.Add(System.Environment.ProcessPath!);
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment.Remove("ORCHESTRA_STORE");
        foreach (var (k, v) in Environment)
            psi.Environment[k] = v;
        return psi;
    }

    /// <summary>How the command would be started in the workspace, with every standard stream redirected, for tests that drive it line by line.</summary>
    public ProcessStartInfo StartInfoFor(params string[] args) => StartInfo(Root, args);

    public void WriteFile(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process of a failed test may still hold a file; the OS cleans temp eventually.
        }
    }
}
