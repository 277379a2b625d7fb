using System.Text.Json.Nodes;
using Orchestra.Core.Graphs;
using Orchestra.Pipelines.Conditions;

namespace Orchestra.Pipelines.Tests;

public class ConditionTests
{
    private static GraphContext Context(string? route = null, string? from = "critic") => new(
        JsonNode.Parse("""
            {"count": 3, "ratio": 0.5, "name": "orchestra", "tags": ["fast", "durable"], "empty": [], "flag": true,
             "nested": {"list": [{"id": 7}], "my.key": "dotted"}, "nothing": null,
             "inputs": {"base": "main", "depth": 2}}
            """)!.AsObject(),
        JsonNode.Parse("""
            {"critic": {"verdict": "revise", "score": 4, "route": "from-data"}, "diff": "+ added line", "security-review": {"ok": false}}
            """)!.AsObject(),
        from, route);

    private static bool Eval(string text, GraphContext? context = null) => Condition.Parse(text).Evaluate(context ?? Context());

    [Theory]
    [InlineData("outputs.critic.verdict == \"revise\"", true)]
    [InlineData("outputs.critic.verdict == 'revise'", true)]
    [InlineData("outputs.critic.verdict != \"revise\"", false)]
    [InlineData("state.count == 3", true)]
    [InlineData("state.count == 3.0", true)]
    [InlineData("state.count > 2 && state.count <= 3", true)]
    [InlineData("state.count < 3", false)]
    [InlineData("state.count >= 3", true)]
    [InlineData("state.ratio < 1", true)]
    [InlineData("state.count == -3", false)]
    [InlineData("inputs.base == \"main\"", true)]
    [InlineData("inputs.depth > 1", true)]
    [InlineData("state.name < \"p\"", true)]
    [InlineData("state.flag", true)]
    [InlineData("!state.flag", false)]
    [InlineData("!!state.flag", true)]
    [InlineData("state.flag == true", true)]
    [InlineData("state.nothing == null", true)]
    [InlineData("state.missing == null", true)]
    [InlineData("state.missing", false)]
    [InlineData("state.empty", false)]
    [InlineData("state.tags", true)]
    [InlineData("state.tags[1] == \"durable\"", true)]
    [InlineData("state.tags[5] == null", true)]
    [InlineData("state.nested.list[0].id == 7", true)]
    [InlineData("state.nested[\"my.key\"] == \"dotted\"", true)]
    [InlineData("outputs.security-review.ok == false", true)]
    [InlineData("outputs[\"security-review\"].ok == false", true)]
    [InlineData("state.tags contains \"fast\"", true)]
    [InlineData("state.tags contains \"slow\"", false)]
    [InlineData("state.name contains \"chest\"", true)]
    [InlineData("outputs.diff contains \"+ added\"", true)]
    [InlineData("state.nested contains \"list\"", true)]
    [InlineData("outputs.critic.verdict in [\"revise\", \"redo\"]", true)]
    [InlineData("outputs.critic.verdict in [\"accept\"]", false)]
    [InlineData("\"durable\" in state.tags", true)]
    [InlineData("state.count in [1, 2, 3]", true)]
    [InlineData("outputs.critic.score > 3 || state.count > 100", true)]
    [InlineData("state.count > 100 || outputs.critic.score > 5", false)]
    [InlineData("(state.count > 100 || state.flag) && inputs.base == \"main\"", true)]
    [InlineData("state.count > 100 || state.flag && inputs.base == \"dev\"", false)]
    [InlineData("!(state.count > 2)", false)]
    [InlineData("true", true)]
    [InlineData("false || null", false)]
    [InlineData("state.name == 3", false)]
    [InlineData("state.name > 3", false)]
    [InlineData("\"a\\\"b\" == 'a\"b'", true)]
    [InlineData("state.tags == [\"fast\", \"durable\"]", true)]
    public void Evaluates(string text, bool expected) => Assert.Equal(expected, Eval(text));

    [Fact]
    public void A_lone_word_is_a_route_name()
    {
        var condition = Condition.Parse("revise");

        Assert.Equal("revise", condition.RouteName);
        Assert.True(condition.Evaluate(Context(route: "revise")));
        Assert.False(condition.Evaluate(Context(route: "accept")));
    }

    [Fact]
    public void Route_falls_back_to_the_route_field_of_the_structured_output()
    {
        Assert.True(Eval("route == \"from-data\"", Context(route: null, from: "critic")));
        Assert.True(Condition.Parse("from-data").Evaluate(Context(route: null, from: "critic")));
        Assert.True(Eval("route == \"chosen\"", Context(route: "chosen")));
        Assert.True(Eval("route == null", Context(route: null, from: null)));
    }

    [Fact]
    public void Lists_the_paths_it_reads()
    {
        var condition = Condition.Parse("outputs.critic.verdict == \"revise\" && state.count > inputs.depth");

        Assert.Equal(
            [("outputs", "critic", 1), ("state", "count", 39), ("inputs", "depth", 53)],
            condition.Paths.Select(p => (p.Root, p.Name!, p.Column)));
    }

    [Theory]
    [InlineData("", 1, "the condition is empty")]
    [InlineData("outputs.critic.verdict = \"revise\"", 24, "unexpected '=': compare with '=='")]
    [InlineData("state.a == ", 12, "the condition ends too early")]
    [InlineData("verdict == \"revise\"", 1, "unknown name 'verdict': paths start with state., outputs., inputs. or route")]
    [InlineData("state.a == \"open", 12, "has no closing \"")]
    [InlineData("(state.a == 1", 14, "expected ')' to close the '(' at column 1")]
    [InlineData("state.a == 1 == 2", 14, "compare one pair at a time")]
    [InlineData("state.a == 1 state.b", 14, "join expressions with && or ||")]
    [InlineData("state.a in \"x\"", 9, "'in' needs a list")]
    [InlineData("state.a & state.b", 9, "use '&&' for and")]
    [InlineData("route.name == \"x\"", 1, "'route' is the route name")]
    [InlineData("outputs == 1", 1, "'outputs' needs a name after it")]
    [InlineData("state.[0]", 7, "a name must follow '.'")]
    [InlineData("state.list[x]", 12, "expected a list index")]
    [InlineData("[1, 2", 6, "expected ']' or ','")]
    [InlineData("state.a == 1.2.3", 12, "'1.2.3' is not a number")]
    [InlineData("state.a == \"\\q\"", 13, "unknown escape")]
    public void Parse_errors_point_to_the_column(string text, int column, string problem)
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => Condition.Parse(text));

        Assert.Equal(column, ex.Column);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"at column {column}", ex.Message, StringComparison.Ordinal);
    }
}
