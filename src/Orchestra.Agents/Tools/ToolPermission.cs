namespace Orchestra.Agents.Tools;

/// <summary>What an agent's tools may do. Each level includes the ones before it.</summary>
public enum ToolPermission
{
    /// <summary>Read the workspace: <c>read_file</c>, <c>list_files</c>, <c>search_code</c>, <c>git_diff</c>. The default.</summary>
    Read,
    /// <summary>Also create and replace files: <c>write_file</c>.</summary>
    Write,
    /// <summary>Also run allow-listed commands: <c>run_command</c>.</summary>
    Run,
}
