using Orchestra.Workspace;

namespace Orchestra.Pipelines.Prompts;

/// <summary>Where a prompt layer came from.</summary>
public enum PromptOrigin
{
    /// <summary>Written in the pipeline file itself (<c>text:</c> or a node's <c>prompt:</c>).</summary>
    Inline,
    /// <summary>A file in the pipeline's folder.</summary>
    Pipeline,
    /// <summary>A file in the project's <c>.orchestra/prompts/</c>.</summary>
    Project,
    /// <summary>A file in the user's <c>~/.orchestra/prompts/</c>.</summary>
    User,
}

/// <summary>A prompt file found on the search path.</summary>
/// <param name="Origin">Which folder it was found in.</param>
/// <param name="Path">The file's full path.</param>
public sealed record PromptFile(PromptOrigin Origin, string Path);

/// <summary>
/// The folders prompt layer files are looked up in, first match wins: the pipeline's folder, the project's
/// <c>.orchestra/prompts/</c>, then the user's <c>~/.orchestra/prompts/</c>. A name without an extension gets
/// <c>.md</c>.
/// </summary>
public sealed class PromptSearchPath
{
    private readonly List<(PromptOrigin Origin, string Directory)> _roots = [];

    /// <summary>Creates a search path; null folders are skipped.</summary>
    public PromptSearchPath(string pipelineDirectory, string? projectPromptsDirectory, string? userPromptsDirectory)
    {
        _roots.Add((PromptOrigin.Pipeline, Path.GetFullPath(pipelineDirectory)));
        if (projectPromptsDirectory is not null)
            _roots.Add((PromptOrigin.Project, Path.GetFullPath(projectPromptsDirectory)));
        if (userPromptsDirectory is not null)
            _roots.Add((PromptOrigin.User, Path.GetFullPath(userPromptsDirectory)));
    }

    /// <summary>
    /// The usual search path of a pipeline in <paramref name="pipelineDirectory"/>: its folder, the prompts of
    /// <paramref name="workspace"/> when there is one, and <c>~/.orchestra/prompts/</c>.
    /// </summary>
    public static PromptSearchPath For(string pipelineDirectory, OrchestraWorkspace? workspace) =>
        new(pipelineDirectory, workspace?.PromptsDir, UserPromptsDirectory);

    /// <summary><c>~/.orchestra/prompts/</c>; null when the home folder is unknown.</summary>
    public static string? UserPromptsDirectory =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home
            ? Path.Combine(home, ".orchestra", "prompts")
            : null;

    /// <summary>The folders, in the order they are searched.</summary>
    public IReadOnlyList<(PromptOrigin Origin, string Directory)> Roots => _roots;

    /// <summary>The first file called <paramref name="name"/> on the path, or null.</summary>
    public PromptFile? Find(string name)
    {
        var relative = Path.HasExtension(name) ? name : name + ".md";
        foreach (var (origin, dir) in _roots)
        {
            var path = Path.GetFullPath(Path.Combine(dir, relative));
            if (File.Exists(path))
                return new PromptFile(origin, path);
        }
        return null;
    }

    /// <summary>The folders as a list for messages.</summary>
    public string Describe() => string.Join(", ", _roots.Select(r => r.Directory + Path.DirectorySeparatorChar));
}
