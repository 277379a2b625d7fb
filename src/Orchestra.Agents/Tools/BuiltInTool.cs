using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Orchestra.Agents.Tools;

/// <summary>
/// A tool written in Orchestra: a fixed name, description and parameter list, and a text result. Arguments are
/// checked before <see cref="RunAsync"/> sees them; failures the model can act on are <see cref="ToolException"/>s.
/// </summary>
internal abstract class BuiltInTool : AIFunction
{
    private readonly IReadOnlyList<ToolParameter> _parameters;

    protected BuiltInTool(string name, string description, IReadOnlyList<ToolParameter> parameters)
    {
        Name = name;
        Description = description;
        _parameters = parameters;
        JsonSchema = ToolParameter.Schema(parameters);
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override string Description { get; }

    /// <inheritdoc />
    public override JsonElement JsonSchema { get; }

    /// <inheritdoc />
    protected sealed override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
        await RunAsync(new ToolArguments(Name, arguments, _parameters), cancellationToken).ConfigureAwait(false);

    /// <summary>Runs the tool on checked arguments and returns the text for the model.</summary>
    protected abstract ValueTask<string> RunAsync(ToolArguments arguments, CancellationToken cancellationToken);
}
