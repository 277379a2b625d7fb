using Microsoft.Extensions.AI;

namespace Orchestra.Agents.Tools;

/// <summary>The outcome of one tool call, ready to go back to the model.</summary>
/// <param name="Content">The result for the conversation: its <see cref="FunctionResultContent.Result"/> is the text.</param>
/// <param name="ToolName">The display name of the tool called (the wire name when the tool is unknown).</param>
/// <param name="IsError">True when the call failed; the text then starts with <c>error:</c>. A loop reports it as a <c>tool_result</c> event with <c>is_error</c>.</param>
public sealed record ToolCallResult(FunctionResultContent Content, string ToolName, bool IsError)
{
    /// <summary>The result text.</summary>
    public string Text => Content.Result as string ?? "";
}
