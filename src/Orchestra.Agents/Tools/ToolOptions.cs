using Orchestra.Agents.Tools.Mcp;

namespace Orchestra.Agents.Tools;

/// <summary>What a <see cref="ToolBox"/> holds: the tools an agent asked for and what they may do.</summary>
public sealed record ToolOptions
{
    /// <summary>The default of <see cref="MaxOutputBytes"/>: 256 KiB.</summary>
    public const int DefaultMaxOutputBytes = 256 * 1024;

    /// <summary>The default of <see cref="CommandTimeout"/>, <see cref="ShellToolDefinition.Timeout"/> and <see cref="McpServerDefinition.CallTimeout"/>: 2 minutes.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The repositories the tools work in: name → root directory (each must exist). With one repository, tools
    /// have their plain names (<c>read_file</c>); with several, each repository's tools are named
    /// <c>{repo}:{tool}</c> (<c>api:read_file</c>, wire name <c>api__read_file</c>; see <see cref="ToolNames"/>).
    /// </summary>
    public required IReadOnlyDictionary<string, string> Repos { get; init; }

    /// <summary>
    /// The tools the agent asked for, or null for the default: the read-only built-ins (<see cref="BuiltInToolNames.ReadOnly"/>)
    /// and every tool of every server in <see cref="McpServers"/>. An entry is a built-in name or a shell tool name
    /// (for every repository), <c>{repo}:{tool}</c> (for one), an MCP server's name (all its tools),
    /// <c>{server}:{tool}</c> or <c>{server}:*</c>. <value>The default value is null.</value>
    /// </summary>
    public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>What the tools may do; <c>write_file</c> needs <see cref="ToolPermission.Write"/>, <c>run_command</c> <see cref="ToolPermission.Run"/>. <value>The default value is <see cref="ToolPermission.Read"/>.</value></summary>
    public ToolPermission Permission { get; init; } = ToolPermission.Read;

    /// <summary>The programs <c>run_command</c> may start: exact <c>argv[0]</c> values such as <c>dotnet</c> or <c>git</c>. <value>The default value is none.</value></summary>
    public IReadOnlyList<string> AllowedCommands { get; init; } = [];

    /// <summary>Tools made from commands in the workspace configuration. <value>The default value is none.</value></summary>
    public IReadOnlyList<ShellToolDefinition> ShellTools { get; init; } = [];

    /// <summary>MCP servers whose tools the agent may use; only those named in <see cref="Tools"/> (or all, when it is null) are started. <value>The default value is none.</value></summary>
    public IReadOnlyList<McpServerDefinition> McpServers { get; init; } = [];

    /// <summary>The directory MCP servers' working directories are relative to, or null for the first repository's root. <value>The default value is null.</value></summary>
    public string? WorkspaceDirectory { get; init; }

    /// <summary>Variables added to the minimal environment of <c>run_command</c> and <c>git_diff</c> (see <see cref="ChildEnvironment"/>). <value>The default value is none.</value></summary>
    public IReadOnlyDictionary<string, string> CommandEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long <c>run_command</c> and <c>git_diff</c> may run before the process tree is killed. <value>The default value is 2 minutes.</value></summary>
    public TimeSpan CommandTimeout { get; init; } = DefaultCommandTimeout;

    /// <summary>The most text one tool result holds, in UTF-8 bytes; longer output is cut, and the result says so. <value>The default value is 256 KiB.</value></summary>
    public int MaxOutputBytes { get; init; } = DefaultMaxOutputBytes;

    /// <summary>Removes secrets from results and errors, or null for <see cref="SecretRedactor.FromEnvironment"/>. <value>The default value is null.</value></summary>
    public SecretRedactor? Redactor { get; init; }

    /// <summary>The clock for timeouts. <value>The default value is <see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Called with the pid of each process a tool starts.</summary>
    internal Action<int>? ProcessStarted { get; init; }

    /// <summary>Options for one repository at <paramref name="directory"/>, so that tools have plain names.</summary>
    public static ToolOptions ForDirectory(string directory) =>
        new() { Repos = new Dictionary<string, string> { ["workspace"] = directory } };
}
