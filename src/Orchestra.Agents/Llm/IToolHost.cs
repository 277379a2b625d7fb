using Microsoft.Extensions.AI;

namespace Orchestra.Agents.Llm;

/// <summary>What one tool call gave back: the result for the model, and whether it reports an error.</summary>
/// <param name="Result">The result message content.</param>
/// <param name="IsError">True when the tool failed; the model still sees the error text as the result.</param>
public readonly record struct ToolOutcome(FunctionResultContent Result, bool IsError);

/// <summary>The tools of one agent call: declarations for the model and a way to run the calls it makes.</summary>
public interface IToolHost : IAsyncDisposable
{
    /// <summary>The tools offered to the model.</summary>
    IReadOnlyList<AITool> Tools { get; }

    /// <summary>The name people know a tool by (<c>repo:tool</c>) for the name sent to the model (<c>repo__tool</c>).</summary>
    string DisplayName(string wireName) => wireName;

    /// <summary>Runs one call. Tool failures come back as error results, never as exceptions.</summary>
    ValueTask<ToolOutcome> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken);
}
