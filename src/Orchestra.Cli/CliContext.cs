using System.CommandLine;
using Orchestra.Core;
using Orchestra.Core.Engine;
using Orchestra.Core.Model;
using Orchestra.Core.Storage;
using Orchestra.Pipelines;
using Orchestra.Workspace;
using Spectre.Console;

namespace Orchestra.Cli;

/// <summary>What every command gets: the global options, the console, and lazily the workspace, store and engine.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    public static readonly Option<bool> NoColorOption = new("--no-color") { Description = "Plain output without colours (also when NO_COLOR is set).", Recursive = true };
    public static readonly Option<bool> DebugOption = new("--debug") { Description = "Write a diagnostic log to .orchestra/logs/orchestra.log.", Recursive = true };
    public static readonly Option<string?> StoreOption = new("--store") { Description = "The store to use: a SQLite file path (default .orchestra/orchestra.db, or ORCHESTRA_STORE).", Recursive = true };

    private OrchestraWorkspace? _workspace;
    private IStore? _store;
    private OrchestraEngine? _engine;
    private PipelineCatalog? _pipelines;
    private OrchestraEngine? _submissionEngine;
    private IAnsiConsole? _console;

    public CliContext(ParseResult parse, TextWriter output, TextWriter error)
    {
        Parse = parse;
        Out = output;
        Error = error;
        NoColor = parse.GetValue(NoColorOption) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        Debug = parse.GetValue(DebugOption);
        StorePath = parse.GetValue(StoreOption);
    }

    public ParseResult Parse { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }
    /// <summary>The rendering console, created on first use: commands that print plain text skip its start-up cost.</summary>
    public IAnsiConsole Console => _console ??= CreateConsole();
    public bool NoColor { get; }
    public bool Debug { get; }
    public string? StorePath { get; }

    /// <summary>True when output is a terminal that can redraw (live views); false under CI or a pipe.</summary>
    public bool IsInteractive => !System.Console.IsOutputRedirected && Console.Profile.Capabilities.Interactive
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    private IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = NoColor ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = NoColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
        });
        if (System.Console.IsOutputRedirected)
        {
            // Pipes and CI logs have no width: keep rows on one line.
            console.Profile.Capabilities.Ansi = false;
            console.Profile.Width = Width;
        }
        return console;
    }

    public OrchestraWorkspace Workspace => _workspace ??= OrchestraWorkspace.Discover();

    /// <summary>Works in <paramref name="workspace"/> instead of the one found from the current directory.</summary>
    public void UseWorkspace(OrchestraWorkspace workspace) => _workspace = workspace;

    public IStore Store
    {
        get
        {
            if (_store is null)
            {
                _store = Workspace.OpenStore(StorePath);
                DebugLog.Write(this, $"store {_store.Description}");
                // Tasks that 'start' queued in the inbox are in the store before any command looks at it.
                if (OrchestraWorkspace.UsesDefaultStore(StorePath) && Workspace.Inbox.HasPending)
                    Workspace.Inbox.IngestAsync(SubmissionEngine).AsTask().GetAwaiter().GetResult();
            }
            return _store;
        }
    }

    /// <summary>
    /// The engine. Pipeline runs are found again from their recorded file in any process, and their inline agents with
    /// them, through <see cref="Pipelines"/>.
    /// </summary>
    public OrchestraEngine Engine => _engine ??= Workspace.CreateEngine(Store, Time, agents: Pipelines, graphResolver: Pipelines.Resolve);

    /// <summary>The pipelines this process compiled or resumed.</summary>
    public PipelineCatalog Pipelines => _pipelines ??= new PipelineCatalog(Workspace);

    /// <summary>Brings in tasks queued in the inbox since the store was opened (for views that stay open).</summary>
    public async Task IntakeAsync(CancellationToken cancellationToken)
    {
        if (OrchestraWorkspace.UsesDefaultStore(StorePath) && Workspace.Inbox.HasPending)
            await Workspace.Inbox.IngestAsync(SubmissionEngine, cancellationToken);
    }

    /// <summary>An engine for commands that only submit work: the worker settings are not read.</summary>
    public OrchestraEngine SubmissionEngine => _engine ?? (_submissionEngine ??= Workspace.CreateEngine(Store, Time, configured: false));

    /// <summary>The clock; reading it needs no configuration, so read-only commands stay fast.</summary>
    public TimeProvider Time { get; } = TimeProvider.System;

    /// <summary>Colours are used when the output is a terminal and --no-color / NO_COLOR are not set.</summary>
    public bool UseAnsi => !NoColor && !System.Console.IsOutputRedirected;

    /// <summary>The width tables may use: the terminal's, else COLUMNS, else 200.</summary>
    public int Width => !System.Console.IsOutputRedirected && System.Console.WindowWidth > 40
        ? System.Console.WindowWidth
        : int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 40 ? columns : 200;

    /// <summary>Writes the status table of <paramref name="steps"/>.</summary>
    public void WriteTable(IEnumerable<StepRecord> steps) =>
        Out.Write(Rendering.StepView.Table(steps, Time.GetUtcNow(), UseAnsi, Width));

    /// <summary>Turns a full id or a unique prefix into a full id.</summary>
    public async Task<string> ResolveIdAsync(string text, CancellationToken cancellationToken)
    {
        text = text.Trim();
        if (!Ids.IsValidPrefix(text))
            throw new OrchestraException($"'{text}' is not a step or run id: ids look like s0k9x2m4qa7bc or r0k9x2m4qa7bc (a unique prefix of 3 or more characters works).");
        if (Ids.IsValid(text))
        {
            var exists = Ids.IsStep(text)
                ? await Store.GetStepAsync(text, cancellationToken) is not null
                : await Store.GetRunAsync(text, cancellationToken) is not null;
            return exists ? text : throw new OrchestraException($"No {(Ids.IsStep(text) ? "step" : "run")} {text}: see 'orchestra status --all'.", ErrorKind.NotFound);
        }
        var matches = await Store.FindIdsByPrefixAsync(text, 6, cancellationToken);
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new OrchestraException($"No step or run id starts with '{text}': see 'orchestra status --all'.", ErrorKind.NotFound),
            _ => throw new OrchestraException($"'{text}' matches several ids ({string.Join(", ", matches.Take(5))}): give more characters.", ErrorKind.Usage),
        };
    }

    /// <summary>Like <see cref="ResolveIdAsync"/>, for commands that act on one step, not a run.</summary>
    public async Task<string> ResolveStepIdAsync(string text, CancellationToken cancellationToken)
    {
        var id = await ResolveIdAsync(text, cancellationToken);
        return Ids.IsStep(id)
            ? id
            : throw new OrchestraException($"{id} is a run; this needs one of its step ids (see 'orchestra status {id}').");
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
    }
}
