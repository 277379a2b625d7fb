namespace Orchestra.Pipelines.Model;

/// <summary>How an agent of a pipeline works with people.</summary>
public enum AgentMode
{
    /// <summary>Runs its step to the end on its own (the default).</summary>
    Autonomous,
    /// <summary>Talks with a person until they end the session (<c>orchestra attach</c>).</summary>
    Interactive,
}

/// <summary>What an agent may do to its repository.</summary>
public enum RepoAccess
{
    /// <summary>Only reads it.</summary>
    Read,
    /// <summary>Changes files in it.</summary>
    Write,
}

/// <summary>How agents that may run at the same time share a repository.</summary>
public enum RepoIsolation
{
    /// <summary>All of them work in the same checkout (the default).</summary>
    Shared,
    /// <summary>Each writer gets its own git worktree, merged back where the branches join.</summary>
    Worktree,
}

/// <summary>The type of an input or a state field.</summary>
public enum PipelineValueType
{
    /// <summary>Any JSON value (the default for state fields).</summary>
    Any,
    /// <summary>Text (the default for inputs).</summary>
    String,
    /// <summary>A number.</summary>
    Number,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
    /// <summary>A list.</summary>
    List,
    /// <summary>A mapping.</summary>
    Object,
}

/// <summary>The layers a prompt is made of, in the order they are joined.</summary>
public enum PromptLayer
{
    /// <summary>What the agent is for ("You review pull requests for security problems").</summary>
    Role,
    /// <summary>Who it is (background, expertise).</summary>
    Persona,
    /// <summary>How it talks (tone, length).</summary>
    Personality,
    /// <summary>What to do now: a template over inputs, state and the outputs of earlier nodes.</summary>
    Task,
}
