namespace Orchestra.Pipelines;

/// <summary>The keys each part of a pipeline file accepts; <c>schemas/pipeline.schema.json</c> lists the same.</summary>
internal static class PipelineKeys
{
    public static readonly string[] Root = ["name", "description", "providers", "workspace", "agents", "inputs", "state", "graph", "nodes", "defaults"];
    public static readonly string[] Workspace = ["repos", "tools"];
    public static readonly string[] Repo = ["path", "isolation", "description"];
    public static readonly string[] Layers = ["role", "persona", "personality", "task"];
    public static readonly string[] LayerMapping = ["file", "text"];

    /// <summary>Keys of an agent entry that belong to the pipeline, not to the agent's kind.</summary>
    public static readonly string[] AgentPipelineOnly = ["use", "mode", "role", "persona", "personality", "task", "repo", "access"];

    /// <summary>Keys of an entry that refers to a workspace agent with <c>use:</c>.</summary>
    public static readonly string[] AgentReference = ["use", "mode", "role", "persona", "personality", "task", "repo", "access", "description"];

    public static readonly string[] Input = ["type", "required", "default", "description"];
    public static readonly string[] State = ["type", "reducer", "default", "description"];
    public static readonly string[] Graph = ["edges"];
    public static readonly string[] Edge = ["from", "to", "join", "condition", "max_loops", "fallback", "approve", "description"];
    public static readonly string[] Node = ["agent", "task", "prompt", "retry", "timeout", "approve", "on_reject", "description"];
    public static readonly string[] Retry = ["max_attempts"];
    public static readonly string[] Defaults = ["model", "max_failures", "retry", "timeout"];
}
