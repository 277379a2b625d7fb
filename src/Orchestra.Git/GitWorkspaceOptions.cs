namespace Orchestra.Git;

/// <summary>Settings of a <see cref="GitWorkspace"/>.</summary>
public sealed record GitWorkspaceOptions
{
    /// <summary>The workspace folder (the parent of <c>.orchestra/</c>).</summary>
    public required string Root { get; init; }

    /// <summary>The state folder. <value>The default value is <c>Root/.orchestra</c>.</value></summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// The repositories of a multi-repository workspace, by name, as folders relative to <see cref="Root"/> (each the
    /// top of its repository). Empty: the repository that contains <see cref="Root"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Repos { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Files or folders, relative to <see cref="Root"/>, copied into every step's worktree because git does not carry
    /// them (<c>.env</c>, local settings). Missing ones are skipped; copies are never committed.
    /// </summary>
    public IReadOnlyList<string> Copy { get; init; } = [];

    /// <summary>The git runner. <value>The default value is a runner of <c>git</c> on PATH.</value></summary>
    public GitCli? Git { get; init; }

    /// <summary>The clock for the times written into the worktree records. <value>The default value is the system clock.</value></summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
