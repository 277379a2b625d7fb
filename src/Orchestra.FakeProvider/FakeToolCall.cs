namespace Orchestra.FakeProvider;

/// <summary>One tool (function) call a reply makes.</summary>
/// <param name="Name">The tool's name, as offered in the request.</param>
/// <param name="Arguments">The arguments as JSON text; it must be a JSON object, because Anthropic's
/// <c>tool_use.input</c> is one. Streamed replies send it in up to three pieces.</param>
/// <param name="Id">The call id; when null, one is made up in the protocol's style (<c>call_…</c>, <c>toolu_…</c>).</param>
public sealed record FakeToolCall(string Name, string Arguments = "{}", string? Id = null);
