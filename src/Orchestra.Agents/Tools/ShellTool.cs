using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Orchestra.Agents.Tools;

/// <summary>
/// A <see cref="ShellToolDefinition"/> as a tool: its parameters become the JSON schema, each call substitutes the
/// arguments into the argument vector and runs it (no shell) in the repository. A non-zero exit or a timeout is a
/// tool error whose text still holds the output.
/// </summary>
internal sealed class ShellTool : AIFunction
{
    private readonly ShellToolDefinition _definition;
    private readonly ToolContext _context;
    private readonly ChildEnvironment _environment;
    private readonly IReadOnlyList<ToolParameter> _parameters;

    public ShellTool(ShellToolDefinition definition, ToolContext context)
    {
        definition.Validate();
        _definition = definition;
        _context = context;
        _environment = ChildEnvironment.Build(definition.Environment);
        _parameters = [.. definition.Parameters.Select(p => new ToolParameter(p.Name, p.Type,
            p.Description + (p.Default is null ? "" : $" Default: {p.Default}."), p.Required && p.Default is null))];
        JsonSchema = ToolParameter.Schema(_parameters);
        Description = definition.Description.Length > 0
            ? definition.Description
            : $"Runs {string.Join(' ', definition.Command)} in the workspace.";
    }

    /// <summary>The values given through <c>${NAME}</c> in the definition's environment, to be redacted from results.</summary>
    public IReadOnlyList<string> Secrets => _environment.Secrets;

    /// <inheritdoc />
    public override string Name => _definition.Name;

    /// <inheritdoc />
    public override string Description { get; }

    /// <inheritdoc />
    public override JsonElement JsonSchema { get; }

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var args = new ToolArguments(Name, arguments, _parameters);
        var argv = Substitute(args);
        var directory = _definition.WorkingDirectory is null ? _context.Root.FullPath : _context.Root.Resolve(_definition.WorkingDirectory);
        if (!Directory.Exists(directory))
            throw new ToolException($"the working directory '{_definition.WorkingDirectory}' of tool {Name} does not exist; a user must fix the tool's working_dir");

        var environment = new Dictionary<string, string>(_context.Environment, StringComparer.Ordinal);
        foreach (var (key, value) in _environment.Variables)
            environment[key] = value;
        var result = await ToolProcess.RunAsync(
            new ToolProcessSpec(argv, directory, environment, _definition.Timeout, _context.MaxOutputBytes),
            _context.Time, _context.ProcessStarted, cancellationToken).ConfigureAwait(false);
        var text = ToolProcess.Format(result, _definition.Timeout);
        return result.TimedOut || result.ExitCode != 0 ? throw new ToolException(text) : text;
    }

    /// <summary>The argument vector with the call's values in place of the placeholders.</summary>
    internal List<string> Substitute(ToolArguments args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in _definition.Parameters)
        {
            if ((args.Text(p.Name) ?? p.Default) is not { } value)
                continue;
            if (value.Contains('\0', StringComparison.Ordinal))
                throw new ToolException($"argument '{p.Name}' of {Name} holds a NUL character; remove it");
            values[p.Name] = value;
        }

        var argv = new List<string> { _definition.Command[0] };
        foreach (var element in _definition.Command.Skip(1))
        {
            var whole = ShellToolDefinition.Placeholder().Match(element);
            if (whole.Success && whole.Length == element.Length && !values.ContainsKey(whole.Groups[1].Value))
                continue;
            var substituted = ShellToolDefinition.Placeholder().Replace(element, m => values.GetValueOrDefault(m.Groups[1].Value, ""));
            var leading = ShellToolDefinition.Placeholder().Match(element);
            if (leading.Success && leading.Index == 0 && substituted.StartsWith('-') && !element.StartsWith('-'))
            {
                var parameter = _definition.Parameters.First(p => p.Name == leading.Groups[1].Value);
                if (!parameter.AllowDash)
                    throw new ToolException($"argument '{parameter.Name}' of {Name} may not start with '-' (it would be read as an option); pass a plain value");
            }
            argv.Add(substituted);
        }
        return argv;
    }
}
