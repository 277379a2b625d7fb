using Microsoft.Extensions.AI;
using Orchestra.Agents.Tools.Mcp;

namespace Orchestra.Agents.Tools;

/// <summary>
/// The tools of one agent: built from <see cref="ToolOptions"/> by <see cref="CreateAsync"/>, put in
/// <c>ChatOptions.Tools</c> through <see cref="Functions"/>, and called through <see cref="InvokeAsync"/>, which never
/// throws for a tool's own failure: the model gets an error text instead. Disposing stops the MCP servers.
/// </summary>
/// <remarks>
/// Names: <see cref="Functions"/> carry wire-safe names (<c>api__read_file</c>); events and logs should use
/// <see cref="GetDisplayName"/> (<c>api:read_file</c>). See <see cref="ToolNames"/>.
/// </remarks>
public sealed partial class ToolBox : IAsyncDisposable
{
    private readonly IReadOnlyList<ToolFunction> _tools;
    private readonly Dictionary<string, ToolFunction> _byWire;
    private readonly Dictionary<string, ToolFunction> _byDisplay;
    private readonly IReadOnlyList<McpToolSource> _sources;
    private readonly SecretRedactor _redactor;
    private int _disposed;

    private ToolBox(IReadOnlyList<ToolFunction> tools, IReadOnlyList<McpToolSource> sources, SecretRedactor redactor)
    {
        _tools = tools;
        _byWire = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _byDisplay = tools.ToDictionary(t => t.DisplayName, StringComparer.Ordinal);
        _sources = sources;
        _redactor = redactor;
    }

    /// <summary>The tools, in the order they were asked for, each a <see cref="ToolFunction"/> with a wire-safe name.</summary>
    public IReadOnlyList<AIFunction> Functions => _tools;

    /// <summary>The tools as <see cref="ToolFunction"/>s.</summary>
    public IReadOnlyList<ToolFunction> Tools => _tools;

    /// <summary>The tool whose wire name (or, failing that, display name) is <paramref name="wireName"/>, or null.</summary>
    public AIFunction? Find(string wireName) => FindTool(wireName);

    /// <summary>The display name of the tool with wire name <paramref name="wireName"/>; the name itself when no tool has it.</summary>
    public string GetDisplayName(string wireName) => FindTool(wireName)?.DisplayName ?? wireName;

    /// <summary>
    /// Runs the call <paramref name="call"/> from the model. A tool's failure (bad arguments, a missing file, a
    /// refused path, a failing command, an MCP error, an unknown tool name) comes back as a result with
    /// <see cref="ToolCallResult.IsError"/> set and a text starting with <c>error:</c>; only cancellation through
    /// <paramref name="cancellationToken"/> throws.
    /// </summary>
    public async Task<ToolCallResult> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var tool = FindTool(call.Name);
        if (tool is null)
        {
            return Error(call, call.Name,
                $"unknown tool '{call.Name}'; available tools: {string.Join(", ", _tools.Select(t => t.Name))}");
        }
        if (call.Exception is not null)
            return Error(call, tool.DisplayName, $"the arguments could not be read ({_redactor.Redact(call.Exception.Message)}); send a JSON object that fits the tool's schema");
        try
        {
            var arguments = call.Arguments is null ? new AIFunctionArguments() : new AIFunctionArguments(call.Arguments);
            var result = await tool.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
            return new ToolCallResult(new FunctionResultContent(call.CallId, ToolFunction.ToText(result)), tool.DisplayName, IsError: false);
        }
        catch (ToolException ex)
        {
            return Error(call, tool.DisplayName, ex.Message);
        }
    }

    /// <summary>Stops the MCP servers. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var source in _sources)
            await source.DisposeAsync().ConfigureAwait(false);
    }

    private ToolFunction? FindTool(string name) =>
        _byWire.GetValueOrDefault(name) ?? _byDisplay.GetValueOrDefault(name);

    private ToolCallResult Error(FunctionCallContent call, string toolName, string message) =>
        new(new FunctionResultContent(call.CallId, "error: " + _redactor.Redact(message)), toolName, IsError: true);
}
