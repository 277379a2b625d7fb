using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Orchestra.Core;

namespace Orchestra.Cli;

/// <summary>Parses, runs a command and turns every failure into one line on stderr and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        var config = new ParserConfiguration();
        var parse = root.Parse(args, config);
        var isHelp = parse.Action is System.CommandLine.Help.HelpAction || args.Any(a => a is "--version");
        if (parse.Errors.Count > 0 && !isHelp)
        {
            var command = parse.CommandResult.Command;
            var name = command == root ? "orchestra" : $"orchestra {CommandPath(parse.CommandResult)}";
            error.WriteLine($"error: {parse.Errors[0].Message} (see '{name} --help')");
            return ExitCodes.Usage;
        }
        // One owner for stop signals: the parser's own handling is off, so the exit code does not depend on
        // which handler ran first.
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        using var cancel = new CancellationTokenSource();
        PosixSignal? received = null;
        // Signal registrations rather than Console.CancelKeyPress: they do not initialise the terminal,
        // which every short command would otherwise pay for.
        void Stop(PosixSignalContext c)
        {
            c.Cancel = true;
            received ??= c.Signal;
            cancel.Cancel();
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var code = await parse.InvokeAsync(invocation, cancel.Token);
        // Stopped by a signal: the shell convention, 128 + the signal number.
        return received switch
        {
            PosixSignal.SIGINT => 130,
            PosixSignal.SIGTERM => 143,
            _ => code,
        };
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Parent is not null; r = c.Parent)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>Attaches an action that gets a <see cref="CliContext"/> and reports errors uniformly.</summary>
    public static void SetAction(this Command command, Func<CliContext, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            CliContext? context = null;
            try
            {
                context = new CliContext(parse, output, error);
                DebugLog.Write(context, $"command: {command.Name}");
                return await action(context, cancellationToken);
            }
            catch (OrchestraException ex)
            {
                error.WriteLine($"error: {ex.Message}");
                if (context is not null) DebugLog.Write(context, $"error: {ex}");
                return ex.Kind == ErrorKind.Environment ? ExitCodes.WorkFailed : ExitCodes.Usage;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                error.WriteLine("interrupted");
                return 130;
            }
            catch (Exception ex)
            {
                error.WriteLine($"error: unexpected failure: {OneLine(ex.Message)} (run again with --debug for details in .orchestra/logs/orchestra.log)");
                if (context is not null) DebugLog.Write(context, $"unexpected: {ex}");
                return ExitCodes.WorkFailed;
            }
            finally
            {
                if (context is not null)
                    await context.DisposeAsync();
            }
        });
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
