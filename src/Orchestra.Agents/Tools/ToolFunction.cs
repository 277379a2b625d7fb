using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol;

namespace Orchestra.Agents.Tools;

/// <summary>
/// A tool as an agent sees it: an <see cref="AIFunction"/> whose <see cref="Name"/> is the wire-safe name (see
/// <see cref="ToolNames"/>) and whose <see cref="DisplayName"/> is the one people use. Invoking it returns the result
/// text with secrets redacted; a failure the model can act on is thrown as a <see cref="ToolException"/> (also
/// redacted), whatever the underlying tool threw. <see cref="ToolBox.InvokeAsync"/> turns that into an error result.
/// </summary>
public sealed class ToolFunction : AIFunction
{
    private readonly AIFunction _inner;
    private readonly SecretRedactor _redactor;

    internal ToolFunction(string displayName, string wireName, AIFunction inner, SecretRedactor redactor)
    {
        DisplayName = displayName;
        Name = wireName;
        _inner = inner;
        _redactor = redactor;
    }

    /// <summary>The name people use: <c>read_file</c>, <c>api:read_file</c>, <c>github:create_issue</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The wire-safe name sent to the provider.</summary>
    public override string Name { get; }

    /// <inheritdoc />
    public override string Description => _inner.Description;

    /// <inheritdoc />
    public override JsonElement JsonSchema => _inner.JsonSchema;

    /// <inheritdoc />
    public override JsonSerializerOptions JsonSerializerOptions => _inner.JsonSerializerOptions;

    internal AIFunction Inner => _inner;

    internal ToolFunction Renamed(string displayName, string wireName, SecretRedactor redactor) => new(displayName, wireName, _inner, redactor);

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _inner.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
            return _redactor.Redact(ToText(result));
        }
        catch (ToolException ex)
        {
            throw new ToolException(_redactor.Redact(ex.Message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or McpException or JsonException
            or InvalidOperationException or NotSupportedException or ArgumentException or Win32Exception or OperationCanceledException)
        {
            throw new ToolException(_redactor.Redact(Describe(ex)));
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "not found: " + ex.Message,
        UnauthorizedAccessException => "permission denied: " + ex.Message,
        OperationCanceledException => "the tool call was cancelled or timed out",
        _ => ex.Message,
    };

    /// <summary>A tool's result as text.</summary>
    internal static string ToText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement e => e.GetRawText(),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())),
    };
}
