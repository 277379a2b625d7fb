using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestra.Cli.Tests.Integration;

/// <summary><c>orchestra dev fake-provider</c> run as a real process.</summary>
public sealed partial class FakeProviderCommandTests : IntegrationTest
{
    [GeneratedRegex(@"fake provider listening on (http://127\.0\.0\.1:\d+/) \(OpenAI: (\S+), Anthropic: (\S+)\)")]
    private static partial Regex ListeningLine();

    [Fact]
    public async Task FakeProvider_ServesScriptedRepliesUntilSigterm()
    {
        Cli.WriteFile("replies.json", """{ "replies": [ { "text": "scripted hello" } ] }""");
        using var server = Cli.Start("dev", "fake-provider", "--script", "replies.json", "--models", "alpha, beta", "--api-key", "test-key-123");
        Watch.Track(server.Pid);

        Match? line = null;
        await Poll.UntilAsync(() => (line = ListeningLine().Match(server.Output)).Success || server.HasExited, Patience, () => $"no listening line: {server.Output}");
        Assert.True(line!.Success, server.Output);
        var root = new Uri(line.Groups[1].Value);
        Assert.Equal(new Uri(root, "v1").ToString(), line.Groups[2].Value);
        Assert.Equal(root.ToString().TrimEnd('/'), line.Groups[3].Value);

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "test-key-123");
        var models = JsonDocument.Parse(await http.GetStringAsync(new Uri(root, "v1/models"))).RootElement;
        using var chat = await http.PostAsync(new Uri(root, "v1/chat/completions"),
            new StringContent("""{"model":"alpha","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        var reply = JsonDocument.Parse(await chat.Content.ReadAsStringAsync()).RootElement;
        http.DefaultRequestHeaders.Authorization = null;
        using var refused = await http.GetAsync(new Uri(root, "v1/models"));

        Assert.Equal(["alpha", "beta"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("scripted hello", reply.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", server.Pid.ToString(CultureInfo.InvariantCulture) } })!)
            kill.WaitForExit();
        var exit = server.WaitForExit(Patience);
        Assert.Equal(143, exit.ExitCode);
        Assert.DoesNotContain("test-key-123", exit.Out + exit.Err, StringComparison.Ordinal);
        Assert.Equal("", exit.Err);
    }

    [Fact]
    public void FakeProvider_MissingScript_FailsWithOneLine()
    {
        var r = Cli.Run("dev", "fake-provider", "--script", "nope.json");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nope.json' does not exist", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public void FakeProvider_BadPort_FailsWithOneLine()
    {
        var r = Cli.Run("dev", "fake-provider", "--port", "70000");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--port 70000 is not a TCP port", r.Err, StringComparison.Ordinal);
    }
}
