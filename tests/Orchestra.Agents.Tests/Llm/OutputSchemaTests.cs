using System.Text.Json.Nodes;
using Orchestra.Agents.Llm;
using Orchestra.Core;

namespace Orchestra.Agents.Tests.Llm;

public sealed class OutputSchemaTests
{
    private static readonly OutputSchema Verdict = OutputSchema.Parse(JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "verdict": { "enum": ["approve", "reject"] },
            "score": { "type": "integer", "minimum": 0, "maximum": 10 },
            "notes": { "type": "array", "items": { "$ref": "#/$defs/note" }, "maxItems": 2 }
          },
          "required": ["verdict", "score"],
          "additionalProperties": false,
          "$defs": { "note": { "type": "string", "minLength": 1 } }
        }
        """));

    [Fact]
    public void A_matching_document_has_no_problems()
    {
        Assert.Empty(Verdict.Validate(JsonNode.Parse("""{"verdict":"approve","score":7,"notes":["fine"]}""")));
    }

    [Theory]
    [InlineData("""{"score":7}""", "missing required property 'verdict'")]
    [InlineData("""{"verdict":"maybe","score":7}""", "$.verdict: must be one of")]
    [InlineData("""{"verdict":"approve","score":7.5}""", "$.score: expected integer")]
    [InlineData("""{"verdict":"approve","score":11}""", "$.score: must be at most 10")]
    [InlineData("""{"verdict":"approve","score":1,"extra":true}""", "property 'extra' is not allowed")]
    [InlineData("""{"verdict":"approve","score":1,"notes":[""]}""", "$.notes[0]: needs at least 1 characters")]
    [InlineData("""{"verdict":"approve","score":1,"notes":["a","b","c"]}""", "allows at most 2 items")]
    [InlineData("""[1]""", "$: expected object, got array")]
    public void Each_mismatch_is_named_with_its_path(string json, string expected)
    {
        var problems = Verdict.Validate(JsonNode.Parse(json));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AnyOf_and_oneOf_are_checked()
    {
        var schema = OutputSchema.Parse(JsonNode.Parse("""{"anyOf":[{"type":"string"},{"type":"integer"}]}"""));
        Assert.Empty(schema.Validate(JsonValue.Create(3)));
        Assert.NotEmpty(schema.Validate(JsonValue.Create(true)));

        var one = OutputSchema.Parse(JsonNode.Parse("""{"oneOf":[{"type":"number"},{"type":"integer"}]}"""));
        Assert.NotEmpty(one.Validate(JsonValue.Create(3)));
        Assert.Empty(one.Validate(JsonValue.Create(3.5)));
    }

    [Theory]
    [InlineData("""[1,2]""", "must be an object")]
    [InlineData("""{"type":"text"}""", "'text' is not a JSON type")]
    [InlineData("""{"type":"object","propertys":{}}""", "'propertys' is not a JSON Schema keyword")]
    [InlineData("""{"properties":{"a":5}}""", "output_schema.properties.a must be a schema object")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "does not name a schema under $defs")]
    [InlineData("""{"type":"string","pattern":"("}""", "not a valid regular expression")]
    public void A_schema_that_is_not_JSON_Schema_is_refused_with_its_path(string json, string expected)
    {
        var ex = Assert.Throws<OrchestraException>(() => OutputSchema.Parse(JsonNode.Parse(json)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Output_in_a_fenced_code_block_is_read()
    {
        var node = OutputSchema.ParseOutput("```json\n{\"verdict\":\"reject\",\"score\":2}\n```", out var error);

        Assert.Null(error);
        Assert.Empty(Verdict.Validate(node));
    }

    [Fact]
    public void Output_that_is_not_JSON_says_so()
    {
        Assert.Null(OutputSchema.ParseOutput("I think it is fine.", out var error));
        Assert.StartsWith("the output is not JSON", error, StringComparison.Ordinal);
    }
}
