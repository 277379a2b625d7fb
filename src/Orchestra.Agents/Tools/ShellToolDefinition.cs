using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orchestra.Core;
using Orchestra.Core.Model;

namespace Orchestra.Agents.Tools;

/// <summary>One parameter of a <see cref="ShellToolDefinition"/>.</summary>
public sealed record ShellToolParameter
{
    /// <summary>The name, used as <c>{name}</c> in the command and as the argument's name for the model.</summary>
    public required string Name { get; init; }

    /// <summary>What the value means, for the model. <value>The default value is empty.</value></summary>
    public string Description { get; init; } = "";

    /// <summary>The JSON type the model passes; the value always reaches the command as text. <value>The default value is <see cref="ToolParameterType.String"/>.</value></summary>
    public ToolParameterType Type { get; init; } = ToolParameterType.String;

    /// <summary>True when every call must pass it. <value>The default value is true.</value></summary>
    public bool Required { get; init; } = true;

    /// <summary>The value used when an optional argument is not passed, or null. <value>The default value is null.</value></summary>
    public string? Default { get; init; }

    /// <summary>
    /// True when a value may start with <c>-</c> where it begins an argument. Off by default, so that the model cannot
    /// turn a value into an option of the command (<c>--output=…</c>). <value>The default value is false.</value>
    /// </summary>
    public bool AllowDash { get; init; }
}

/// <summary>
/// A tool made from a command in the workspace configuration (<c>tools:</c> in <c>.orchestra/config.yaml</c>).
/// <see cref="Command"/> is an argument vector whose elements may hold <c>{param}</c> placeholders; each is replaced
/// inside its own element, so a value is always one argument (or part of one) and no shell ever parses it. An
/// element that is exactly one placeholder of an optional parameter with no value and no default is left out.
/// </summary>
public sealed partial record ShellToolDefinition
{
    /// <summary>The tool's name: letters, digits, <c>_</c> and <c>-</c>, at most 64 characters.</summary>
    public required string Name { get; init; }

    /// <summary>What the tool does, for the model. <value>The default value is empty (a description is made from the command).</value></summary>
    public string Description { get; init; } = "";

    /// <summary>The argument vector, program first; the program itself may not hold a placeholder.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The parameters the model passes. <value>The default value is none.</value></summary>
    public IReadOnlyList<ShellToolParameter> Parameters { get; init; } = [];

    /// <summary>How long one run may take before its process tree is killed. <value>The default value is 2 minutes.</value></summary>
    public TimeSpan Timeout { get; init; } = ToolOptions.DefaultCommandTimeout;

    /// <summary>The directory it runs in, relative to the repository root and inside it, or null for the root. <value>The default value is null.</value></summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables added to the minimal environment (see <see cref="ChildEnvironment"/>); values may use <c>${NAME}</c>. <value>The default value is none.</value></summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks the definition.</summary>
    /// <exception cref="OrchestraException">It cannot work; the message names the tool, the problem and the fix.</exception>
    public void Validate()
    {
        if (!ToolNames.IsValidName(Name))
            throw new OrchestraException($"shell tool name '{Name}' is invalid; use 1 to 64 letters, digits, '_' or '-'");
        if (BuiltInToolNames.RequiredPermission(Name) is not null)
            throw new OrchestraException($"shell tool '{Name}' has the name of a built-in tool; rename it");
        if (Command is not { Count: > 0 } || string.IsNullOrWhiteSpace(Command[0]))
            throw new OrchestraException($"shell tool '{Name}' has no command; set command to a list such as [\"dotnet\", \"test\", \"{{filter}}\"]");
        if (Placeholder().IsMatch(Command[0]))
            throw new OrchestraException($"shell tool '{Name}': the program '{Command[0]}' may not hold a placeholder; put placeholders in the arguments");
        if (Timeout <= TimeSpan.Zero)
            throw new OrchestraException($"shell tool '{Name}' has a timeout of {Timeout}; use a positive duration such as 2m");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Parameters)
        {
            if (!ToolNames.IsValidName(p.Name))
                throw new OrchestraException($"shell tool '{Name}': parameter name '{p.Name}' is invalid; use letters, digits, '_' or '-'");
            if (!names.Add(p.Name))
                throw new OrchestraException($"shell tool '{Name}' declares parameter '{p.Name}' twice; remove one");
            if (p.Type == ToolParameterType.StringArray)
                throw new OrchestraException($"shell tool '{Name}': parameter '{p.Name}' is a list; shell tool parameters are string, integer, number or boolean");
        }
        foreach (var element in Command)
        {
            foreach (Match m in Placeholder().Matches(element))
            {
                if (!names.Contains(m.Groups[1].Value))
                    throw new OrchestraException($"shell tool '{Name}': the command uses {{{m.Groups[1].Value}}} but no parameter '{m.Groups[1].Value}' is declared; declare it under parameters");
            }
        }
    }

    /// <summary>
    /// Reads a definition from its configuration form (snake_case keys): <c>description</c>, <c>command</c> (a list),
    /// <c>parameters</c> (a mapping from name to <c>{description, type, required, default, allow_dash}</c>),
    /// <c>timeout</c> (<c>30s</c>, <c>2m</c>), <c>working_dir</c> and <c>env</c>. The result is validated.
    /// </summary>
    /// <exception cref="OrchestraException">A key is unknown or a value has the wrong form.</exception>
    public static ShellToolDefinition FromJson(string name, JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var where = $"tools.{name}";
        ConfigJson.OnlyKeys(json, where, "description", "command", "parameters", "timeout", "working_dir", "env");
        var parameters = new List<ShellToolParameter>();
        if (json["parameters"] is { } node)
        {
            if (node is not JsonObject map)
                throw new OrchestraException($"{where}.parameters must be a mapping from parameter name to its description, type and required flag");
            foreach (var (key, value) in map)
            {
                var at = $"{where}.parameters.{key}";
                var p = value as JsonObject ?? (value is JsonValue ? new JsonObject { ["description"] = value.DeepClone() } : null)
                    ?? throw new OrchestraException($"{at} must be a mapping with description, type, required and default");
                ConfigJson.OnlyKeys(p, at, "description", "type", "required", "default", "allow_dash");
                parameters.Add(new ShellToolParameter
                {
                    Name = key,
                    Description = ConfigJson.String(p, "description", at) ?? "",
                    Type = ParseType(ConfigJson.String(p, "type", at), at),
                    Required = ConfigJson.Bool(p, "required", at) ?? ConfigJson.String(p, "default", at) is null,
                    Default = ConfigJson.String(p, "default", at),
                    AllowDash = ConfigJson.Bool(p, "allow_dash", at) ?? false,
                });
            }
        }
        var timeout = ConfigJson.String(json, "timeout", where);
        var definition = new ShellToolDefinition
        {
            Name = name,
            Description = ConfigJson.String(json, "description", where) ?? "",
            Command = ConfigJson.StringList(json, "command", where) ?? throw new OrchestraException($"{where} needs a command: a list such as [\"dotnet\", \"test\"]"),
            Parameters = parameters,
            Timeout = timeout is null ? ToolOptions.DefaultCommandTimeout : Durations.Parse(timeout, $"{where}.timeout"),
            WorkingDirectory = ConfigJson.String(json, "working_dir", where),
            Environment = ConfigJson.StringMap(json, "env", where) ?? new Dictionary<string, string>(),
        };
        definition.Validate();
        return definition;
    }

    private static ToolParameterType ParseType(string? type, string at) => type switch
    {
        null or "string" => ToolParameterType.String,
        "integer" => ToolParameterType.Integer,
        "number" => ToolParameterType.Number,
        "boolean" => ToolParameterType.Boolean,
        _ => throw new OrchestraException($"{at}.type is '{type}'; use string, integer, number or boolean"),
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_-]+)\}")]
    internal static partial Regex Placeholder();
}
