using System.Text.Json.Nodes;
using Orchestra.Pipelines.Model;
using Orchestra.Pipelines.Prompts;

namespace Orchestra.Pipelines.Tests;

public sealed class PromptTests : IDisposable
{
    private readonly TempPipeline _p = new();

    public void Dispose() => _p.Dispose();

    [Fact]
    public void Layer_files_are_found_in_the_pipeline_folder_then_the_project_then_the_user_folder()
    {
        TempPipeline.WriteAt(_p.UserPrompts, "roles/reviewer.md", "user role");
        TempPipeline.WriteAt(_p.UserPrompts, "personas/old-hand.md", "user persona");
        TempPipeline.WriteAt(_p.UserPrompts, "tone.txt", "user tone");
        TempPipeline.WriteAt(_p.ProjectPrompts, "roles/reviewer.md", "project role");
        TempPipeline.WriteAt(_p.ProjectPrompts, "personas/old-hand.md", "project persona");
        _p.Write("roles/reviewer.md", "pipeline role");
        var composer = new PromptComposer(_p.SearchPath);

        var role = composer.Resolve(new PromptLayerRef(PromptLayer.Role, "roles/reviewer", null, "$"), "p.yaml:1:1");
        var persona = composer.Resolve(new PromptLayerRef(PromptLayer.Persona, "personas/old-hand", null, "$"), "p.yaml:1:1");
        var tone = composer.Resolve(new PromptLayerRef(PromptLayer.Personality, "tone.txt", null, "$"), "p.yaml:1:1");

        Assert.Equal((PromptOrigin.Pipeline, "pipeline role", Path.Combine(_p.PipelineDir, "roles", "reviewer.md")), (role.Origin, role.Text, role.Source));
        Assert.Equal((PromptOrigin.Project, "project persona"), (persona.Origin, persona.Text));
        Assert.Equal((PromptOrigin.User, "user tone"), (tone.Origin, tone.Text));
    }

    [Fact]
    public void A_missing_layer_file_is_an_error_at_the_layer_naming_the_folders_searched()
    {
        var error = _p.Error("""
            agents:
              a: { kind: scripted, role: roles/nobody }
            graph:
              edges: [ { from: START, to: a } ]
            """);

        Assert.Equal($"{_p.PipelinePath}:2:24: no prompt file 'roles/nobody.md' for the role layer in {_p.PipelineDir}/, {_p.ProjectPrompts}/, {_p.UserPrompts}/: create it in one of them, or write the text inline with {{ text: ... }}.", error);
    }

    [Fact]
    public void The_composed_prompt_says_where_each_layer_came_from_and_a_node_can_replace_the_task()
    {
        _p.Write("roles/critic.md", "You check reviews.\n");
        TempPipeline.WriteAt(_p.ProjectPrompts, "tasks/critique.md", "Check {{ outputs.review }}.");
        var compiled = _p.Compile("""
            agents:
              critic:
                kind: scripted
                role: roles/critic
                personality: { text: "Be terse." }
                task: tasks/critique
              review: { kind: scripted, task: { text: "review" } }
            nodes:
              second-look: { agent: critic, prompt: "Look again at {{ outputs.review }}." }
            graph:
              edges:
                - { from: START, to: review }
                - { from: review, to: [critic, second-look] }
            """);

        var critic = compiled.Nodes.Single(n => n.Name == "critic").Prompt;
        Assert.Equal(
            [(PromptLayer.Role, PromptOrigin.Pipeline), (PromptLayer.Personality, PromptOrigin.Inline), (PromptLayer.Task, PromptOrigin.Project)],
            critic.Layers.Select(l => (l.Layer, l.Origin)));
        Assert.Equal($"{_p.PipelinePath}:5:5", critic.Layers[1].Source);
        Assert.Equal("You check reviews.\n\nBe terse.\n\nCheck {{ outputs.review }}.", critic.Text);
        var second = compiled.Nodes.Single(n => n.Name == "second-look").Prompt;
        Assert.Equal("You check reviews.\n\nBe terse.\n\nLook again at {{ outputs.review }}.", second.Text);
        Assert.Equal(PromptOrigin.Inline, second.Layers[^1].Origin);
    }

    [Fact]
    public void Templates_render_without_html_escaping_and_print_mappings_as_json()
    {
        var template = new PromptTemplate("{{ code }} | {{json outputs.review}} | {{#each state.items}}[{{this}}]{{/each}} | {{#if missing}}yes{{else}}no{{/if}} | {{ missing }}.");
        var state = JsonNode.Parse("""{"inputs": {"code": "a < b && c > \"d\""}, "items": [1, 2]}""")!.AsObject();
        var outputs = JsonNode.Parse("""{"review": {"ok": true}}""")!.AsObject();

        var text = template.Render(TemplateModel.From(state, outputs));

        Assert.Equal("a < b && c > \"d\" | {\n  \"ok\": true\n} | [1][2] | no | .", text);
    }

    [Fact]
    public void A_state_key_shadows_an_input_of_the_same_name_but_inputs_dot_reaches_it()
    {
        var template = new PromptTemplate("{{ topic }} / {{ inputs.topic }}");
        var state = JsonNode.Parse("""{"inputs": {"topic": "from input"}, "topic": "from state"}""")!.AsObject();

        Assert.Equal("from state / from input", template.Render(TemplateModel.From(state)));
    }

    [Fact]
    public void An_invalid_template_is_an_error_at_its_file()
    {
        _p.Write("tasks/broken.md", "Review {{#if outputs.a}} without an end");
        var error = _p.Error("""
            agents:
              a: { kind: scripted, task: tasks/broken }
            graph:
              edges: [ { from: START, to: a } ]
            """);

        Assert.StartsWith($"{Path.Combine(_p.PipelineDir, "tasks", "broken.md")}: the task of node 'a' is not a valid template: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_variables_that_nothing_provides_are_warnings_at_their_line_and_column()
    {
        _p.Write("tasks/summary.md", "Summarise for {{ audience }}.\nDiff: {{ outputs.diff }}\nLater: {{ outputs.publish }}\nTypo: {{ inputs.bsae }} {{ outputs.revew.ok }} {{ state.notes }} {{ helper_free }}\n{{#each outputs.diff.files}}{{ path }}{{/each}} {{ route }} {{ base }} {{!-- {{ ignored }} --}}");
        var compiled = _p.Compile("""
            inputs:
              base: { default: main }
            state:
              audience: { default: developers }
            agents:
              diff: { kind: scripted, task: { text: "{{ base }}" } }
              summary: { kind: scripted, task: tasks/summary }
              publish: { kind: scripted, task: { text: "{{ outputs.summary }}" } }
            graph:
              edges:
                - { from: START, to: diff }
                - { from: diff, to: summary }
                - { from: summary, to: publish }
            """);

        var file = Path.Combine(_p.PipelineDir, "tasks", "summary.md");
        Assert.Equal(
        [
            $"{file}:3:8: warning: '{{{{ outputs.publish }}}}' in the task of node 'summary': node 'publish' does not run before 'summary', so its output is not there yet.",
            $"{file}:4:7: warning: '{{{{ inputs.bsae }}}}' in the task of node 'summary': the pipeline has no input 'bsae' (did you mean 'base'?), so it renders empty.",
            $"{file}:4:25: warning: '{{{{ outputs.revew.ok }}}}' in the task of node 'summary': there is no node 'revew', so it renders empty.",
            $"{file}:4:48: warning: '{{{{ state.notes }}}}' in the task of node 'summary': 'notes' is not declared under 'state:'; it renders empty until a node writes it.",
            $"{file}:4:66: warning: '{{{{ helper_free }}}}' in the task of node 'summary' is not an input, a state field, or under inputs., state. or outputs.; it renders empty.",
        ], compiled.Warnings.Select(w => w.ToString()));
    }
}
