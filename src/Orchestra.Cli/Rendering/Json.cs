using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestra.Cli.Rendering;

/// <summary>JSON output: indented, UTF-8 text as is.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(TextWriter output, JsonNode? node) => output.WriteLine(node?.ToJsonString(Options) ?? "null");
}
