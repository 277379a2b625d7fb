using System.Text.Json.Serialization;
using Orchestra.Agents.ClaudeCode;
using Orchestra.Agents.Cli;
using Orchestra.Agents.Codex;
using Orchestra.Agents.Llm;
using Orchestra.Agents.Scripted;

namespace Orchestra.Workspace.Yaml;

/// <summary>
/// Serializer metadata for the definition files, generated at build time: binding them needs no
/// reflection, which keeps the start-up of commands such as <c>start</c> short.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    RespectNullableAnnotations = true,
    UseStringEnumConverter = true,
    Converters = [typeof(SpecBinder.DurationConverter)])]
[JsonSerializable(typeof(ScriptedOptions))]
[JsonSerializable(typeof(CliAgentOptions))]
[JsonSerializable(typeof(ClaudeCodeOptions))]
[JsonSerializable(typeof(CodexAgentOptions))]
[JsonSerializable(typeof(WorkspaceConfig))]
[JsonSerializable(typeof(PlanFile))]
[JsonSerializable(typeof(ChatAgentOptions))]
[JsonSerializable(typeof(ProvidersFile))]
internal sealed partial class DefinitionJsonContext : JsonSerializerContext;
