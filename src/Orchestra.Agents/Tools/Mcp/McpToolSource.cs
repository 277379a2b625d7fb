using System.Reflection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Orchestra.Core;

namespace Orchestra.Agents.Tools.Mcp;

/// <summary>
/// A running MCP server and its tools. <see cref="StartAsync"/> starts the server as a child process through the
/// official MCP SDK's stdio transport (argument vector, no shell, the minimal environment of
/// <see cref="ChildEnvironment"/>), performs the handshake and lists the tools; each becomes a
/// <see cref="ToolFunction"/> named <c>{server}:{tool}</c> (wire name <c>{server}__{tool}</c>, see
/// <see cref="ToolNames"/>). Disposing closes the session, which stops the server process.
/// </summary>
public sealed class McpToolSource : IAsyncDisposable
{
    private readonly McpClient _client;

    private McpToolSource(string name, McpClient client, IReadOnlyList<McpToolFunction> tools, SecretRedactor redactor)
    {
        Name = name;
        _client = client;
        var names = new ToolNameTable();
        Functions = [.. tools.Select(t =>
        {
            var display = ToolNames.Qualify(name, t.Name);
            return new ToolFunction(display, names.Add(display), t, redactor);
        })];
        ToolNamesOnServer = [.. tools.Select(t => t.Name)];
    }

    /// <summary>The server's name from its definition.</summary>
    public string Name { get; }

    /// <summary>The server's tools, named <c>{server}:{tool}</c>.</summary>
    public IReadOnlyList<ToolFunction> Functions { get; }

    /// <summary>The tools' own names on the server, in the order the server listed them.</summary>
    public IReadOnlyList<string> ToolNamesOnServer { get; }

    /// <summary>
    /// Starts the server of <paramref name="definition"/> in <paramref name="workspaceRoot"/> (or its working
    /// directory inside it) and lists its tools.
    /// </summary>
    /// <param name="definition">The server.</param>
    /// <param name="workspaceRoot">The workspace root; the server's working directory is relative to it.</param>
    /// <param name="redactor">Removes secrets from results and errors; null: the orchestrator's credential-like variables.</param>
    /// <param name="time">The clock for call timeouts; null: the system clock.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="OrchestraException">The definition is invalid, or the server could not be started or did not answer.</exception>
    public static async Task<McpToolSource> StartAsync(McpServerDefinition definition, string workspaceRoot,
        SecretRedactor? redactor = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        var root = new WorkspaceRoot(workspaceRoot);
        string directory;
        try
        {
            directory = definition.WorkingDirectory is null ? root.FullPath : root.Resolve(definition.WorkingDirectory);
        }
        catch (ToolException ex)
        {
            throw new OrchestraException($"MCP server '{definition.Name}': working_dir: {ex.Message}");
        }
        if (!Directory.Exists(directory))
            throw new OrchestraException($"MCP server '{definition.Name}': working directory '{definition.WorkingDirectory}' does not exist; create it or fix working_dir", ErrorKind.NotFound);

        var environment = ChildEnvironment.Build(definition.Environment);
        redactor = (redactor ?? SecretRedactor.FromEnvironment()).With(environment.Secrets);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = definition.Name,
            Command = definition.Command[0],
            Arguments = [.. definition.Command.Skip(1)],
            WorkingDirectory = directory,
            InheritEnvironmentVariables = false,
            EnvironmentVariables = environment.Variables.ToDictionary(e => e.Key, e => (string?)e.Value, StringComparer.Ordinal),
        });

        McpClient? client = null;
        try
        {
            client = await McpClient.CreateAsync(transport, new McpClientOptions
            {
                ClientInfo = new Implementation
                {
                    Name = "orchestra",
                    Version = typeof(McpToolSource).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
                },
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var clock = time ?? TimeProvider.System;
            return new McpToolSource(definition.Name, client,
                [.. tools.Select(t => new McpToolFunction(t, definition.CallTimeout, clock))], redactor);
        }
        catch (Exception ex) when (ex is McpException or IOException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (client is not null)
                await client.DisposeAsync().ConfigureAwait(false);
            var reason = redactor.Redact(ex.Message.ReplaceLineEndings(" "));
            throw new OrchestraException($"MCP server '{definition.Name}' could not be started ({string.Join(' ', definition.Command)}): {reason}; check its command in the configuration", ErrorKind.Environment, ex);
        }
        catch
        {
            if (client is not null)
                await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The tool whose wire or display name is <paramref name="name"/>, or null.</summary>
    public ToolFunction? Find(string name) =>
        Functions.FirstOrDefault(f => f.Name == name) ?? Functions.FirstOrDefault(f => f.DisplayName == name);

    /// <summary>Closes the session and stops the server process.</summary>
    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
