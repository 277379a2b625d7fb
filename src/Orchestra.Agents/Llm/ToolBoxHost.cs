using Microsoft.Extensions.AI;
using Orchestra.Agents.Tools;

namespace Orchestra.Agents.Llm;

/// <summary>The <see cref="IToolHost"/> of a <see cref="ToolBox"/>: built-in, shell and MCP tools.</summary>
public sealed class ToolBoxHost(ToolBox box) : IToolHost
{
    /// <inheritdoc />
    public IReadOnlyList<AITool> Tools { get; } = [.. box.Functions];

    /// <inheritdoc />
    public async ValueTask<ToolOutcome> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken)
    {
        var result = await box.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
        return new ToolOutcome(result.Content, result.IsError);
    }

    /// <inheritdoc />
    public string DisplayName(string wireName) => box.GetDisplayName(wireName);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => box.DisposeAsync();
}
