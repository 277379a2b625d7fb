using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Orchestra.Agents.Tools.Mcp;

/// <summary>
/// One tool of an MCP server as a text tool: calls it through the client, joins its content into text, and turns a
/// result flagged as an error into a <see cref="ToolException"/>.
/// </summary>
internal sealed class McpToolFunction(McpClientTool tool, TimeSpan callTimeout, TimeProvider time) : AIFunction
{
    /// <summary>The tool's own name on its server.</summary>
    public override string Name => tool.Name;

    /// <inheritdoc />
    public override string Description => tool.Description;

    /// <inheritdoc />
    public override JsonElement JsonSchema => tool.JsonSchema;

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(callTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        CallToolResult result;
        try
        {
            result = await tool.CallAsync(arguments, cancellationToken: linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ToolException($"the MCP tool '{tool.Name}' did not answer within {Core.Model.Durations.Format(callTimeout)}");
        }
        var text = ToText(result);
        if (result.IsError == true)
            throw new ToolException(text.Length > 0 ? text : $"the MCP tool '{tool.Name}' failed without a message");
        return text;
    }

    /// <summary>The content blocks of <paramref name="result"/> as text; structured content when there are none.</summary>
    internal static string ToText(CallToolResult result)
    {
        var text = new StringBuilder();
        foreach (var block in result.Content)
        {
            if (text.Length > 0)
                text.Append('\n');
            text.Append(block switch
            {
                TextContentBlock t => t.Text,
                ImageContentBlock i => $"[image: {i.MimeType}]",
                AudioContentBlock a => $"[audio: {a.MimeType}]",
                EmbeddedResourceBlock { Resource: TextResourceContents r } => r.Text,
                EmbeddedResourceBlock e => $"[resource: {e.Resource.Uri}]",
                ResourceLinkBlock l => $"[resource link: {l.Uri}]",
                _ => $"[{block.Type} content]",
            });
        }
        if (text.Length == 0 && result.StructuredContent is { } structured)
            text.Append(structured.ToString());
        return text.ToString();
    }
}
