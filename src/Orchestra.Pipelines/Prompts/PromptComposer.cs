using Orchestra.Core;
using Orchestra.Pipelines.Model;

namespace Orchestra.Pipelines.Prompts;

/// <summary>One layer of a composed prompt and where it came from.</summary>
/// <param name="Layer">Which layer.</param>
/// <param name="Origin">Inline, or which folder of the search path.</param>
/// <param name="Source">The file's path, or the layer's position in the pipeline file for an inline layer.</param>
/// <param name="Text">The layer's text.</param>
public sealed record ResolvedLayer(PromptLayer Layer, PromptOrigin Origin, string Source, string Text);

/// <summary>
/// A node's prompt: the fixed layers (role, persona, personality) joined in that order, then the task, a template
/// over inputs, state and outputs rendered when the node starts.
/// </summary>
public sealed class ComposedPrompt
{
    internal ComposedPrompt(IReadOnlyList<ResolvedLayer> layers, PromptTemplate? task)
    {
        Layers = layers;
        Task = task;
        Preamble = string.Join("\n\n", layers.Where(l => l.Layer != PromptLayer.Task).Select(l => l.Text.Trim()).Where(t => t.Length > 0));
    }

    /// <summary>The layers in order, with where each came from.</summary>
    public IReadOnlyList<ResolvedLayer> Layers { get; }

    /// <summary>Role, persona and personality joined: the fixed part of the prompt.</summary>
    public string Preamble { get; }

    /// <summary>The task template, or null when the node has no task.</summary>
    public PromptTemplate? Task { get; }

    /// <summary>The prompt with the task's template left unrendered, as <c>compile --show-prompts</c> prints it.</summary>
    public string Text => Join(Task?.Text);

    /// <summary>The prompt for a step, with the task rendered over <paramref name="model"/>.</summary>
    public string Render(TemplateModel model) => Join(Task?.Render(model));

    private string Join(string? task)
    {
        task = task?.Trim();
        if (string.IsNullOrEmpty(task))
            return Preamble;
        return Preamble.Length == 0 ? task : Preamble + "\n\n" + task;
    }
}

/// <summary>
/// Finds prompt layer files on a <see cref="PromptSearchPath"/> and joins the layers of a node. Files are read
/// once per composer.
/// </summary>
public sealed class PromptComposer
{
    /// <summary>Most bytes a prompt layer file may have. <value>The default value is 1 MiB.</value></summary>
    public const int MaxFileBytes = 1024 * 1024;

    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    /// <summary>Creates a composer over <paramref name="searchPath"/>.</summary>
    public PromptComposer(PromptSearchPath searchPath) => SearchPath = searchPath;

    /// <summary>Where files are looked up.</summary>
    public PromptSearchPath SearchPath { get; }

    /// <summary>Reads one layer: its inline text, or the first file on the search path.</summary>
    /// <param name="layer">The layer as written.</param>
    /// <param name="location"><c>file:line:column</c> of the layer in the pipeline, named as the source of inline text.</param>
    /// <exception cref="OrchestraException">The file is on no folder of the search path, or cannot be read.</exception>
    public ResolvedLayer Resolve(PromptLayerRef layer, string location)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Text is { } text)
            return new ResolvedLayer(layer.Layer, PromptOrigin.Inline, location, text);
        var name = layer.File!;
        var file = SearchPath.Find(name)
            ?? throw new OrchestraException(
                $"no prompt file '{name}{(Path.HasExtension(name) ? "" : ".md")}' for the {layer.Layer.ToString().ToLowerInvariant()} layer in {SearchPath.Describe()}: create it in one of them, or write the text inline with {{ text: ... }}.",
                ErrorKind.NotFound);
        if (!_files.TryGetValue(file.Path, out var content))
        {
            try
            {
                var info = new FileInfo(file.Path);
                if (info.Length > MaxFileBytes)
                    throw new OrchestraException($"prompt file {file.Path} has {info.Length / 1024} KiB; a layer may have at most {MaxFileBytes / 1024} KiB.");
                content = File.ReadAllText(file.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new OrchestraException($"prompt file {file.Path} cannot be read ({ex.Message}).", ErrorKind.Usage, ex);
            }
            _files[file.Path] = content;
        }
        return new ResolvedLayer(layer.Layer, file.Origin, file.Path, content);
    }

    /// <summary>Joins resolved layers into a prompt; the task layer is parsed as a template.</summary>
    /// <exception cref="OrchestraException">The task is not a valid template.</exception>
    public static ComposedPrompt Compose(IEnumerable<ResolvedLayer> layers)
    {
        var ordered = layers.OrderBy(l => l.Layer).ToList();
        var task = ordered.LastOrDefault(l => l.Layer == PromptLayer.Task);
        return new ComposedPrompt(ordered, task is null ? null : new PromptTemplate(task.Text));
    }
}
