using HandlebarsDotNet;
using Orchestra.Core;

namespace Orchestra.Pipelines.Prompts;

/// <summary>
/// A task template (Handlebars: <c>{{ pr_diff }}</c>, <c>{{ outputs.critic.verdict }}</c>, <c>{{#if ...}}</c>,
/// <c>{{#each ...}}</c>, <c>{{json value}}</c>). Values are written as they are, without HTML escaping; a missing
/// value prints as nothing; write mappings and lists (structured outputs) with <c>{{json value}}</c>, which prints
/// them as JSON. The template is compiled on first use.
/// </summary>
public sealed class PromptTemplate
{
    private static readonly Lazy<IHandlebars> Engine = new(CreateEngine);

    private HandlebarsTemplate<object, object>? _compiled;
    private IReadOnlyList<TemplateReference>? _references;

    /// <summary>Creates a template from its text.</summary>
    public PromptTemplate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The names the template reads outside <c>{{#each}}</c> and <c>{{#with}}</c> blocks.</summary>
    public IReadOnlyList<TemplateReference> References => _references ??= TemplateScanner.Scan(Text);

    /// <summary>
    /// Starts the template engine on a background thread, so that its one-time start-up overlaps whatever the caller
    /// does before its first template (reading and checking a pipeline file). Safe to call any number of times.
    /// </summary>
    public static void WarmUp()
    {
        if (Engine.IsValueCreated || Interlocked.Exchange(ref _warming, 1) == 1)
            return;
        _ = Task.Run(() => Engine.Value.Compile("{{#if a}}{{ b.c }}{{/if}}"));
    }

    private static int _warming;

    /// <summary>Compiles the templates now, on all cores; the errors are left for <see cref="Check"/> to report.</summary>
    public static void Precompile(IEnumerable<PromptTemplate> templates)
    {
        ArgumentNullException.ThrowIfNull(templates);
        // Compiling a template is the most expensive part of checking a pipeline, and templates are independent.
        Parallel.ForEach(templates.Where(t => t._compiled is null).Distinct(), t =>
        {
            try
            {
                t.Check();
            }
            catch (OrchestraException)
            {
                // Reported, with its location, by the caller's own Check.
            }
        });
    }

    /// <summary>Compiles the template now.</summary>
    /// <exception cref="OrchestraException">It is not a valid template; the message says why.</exception>
    public void Check() => _ = Compiled();

    /// <summary>Renders the template over <paramref name="model"/>.</summary>
    /// <exception cref="OrchestraException">It is not a valid template, or a helper failed.</exception>
    public string Render(TemplateModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var template = Compiled();
        try
        {
            return template(model.Root);
        }
        catch (HandlebarsException ex)
        {
            throw new OrchestraException($"the task template could not be rendered: {OneLine(ex.Message)}", ErrorKind.Usage, ex);
        }
    }

    private HandlebarsTemplate<object, object> Compiled()
    {
        if (_compiled is not null)
            return _compiled;
        try
        {
            return _compiled = Engine.Value.Compile(Text);
        }
        catch (HandlebarsException ex)
        {
            throw new OrchestraException($"the task is not a valid template: {OneLine(ex.Message)}", ErrorKind.Usage, ex);
        }
    }

    private static IHandlebars CreateEngine()
    {
        var engine = Handlebars.Create(new HandlebarsConfiguration { NoEscape = true });
        // {{json value}}: any value as JSON, for lists of findings and other structured outputs.
        engine.RegisterHelper("json", (writer, _, arguments) => writer.WriteSafeString(TemplateModel.Json(arguments.Length > 0 ? arguments[0] : null)));
        return engine;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").TrimEnd('.');
}
