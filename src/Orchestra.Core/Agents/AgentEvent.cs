using System.Text.Json.Nodes;

namespace Orchestra.Core.Agents;

/// <summary>Something an agent reports while it works: partial output, a tool call, a note.</summary>
/// <param name="Kind">What happened, for example <c>output</c>, <c>tool_call</c>, <c>tool_result</c>, <c>process.started</c>.</param>
/// <param name="Data">Details.</param>
/// <param name="Persist">False for high-volume partial output (token deltas) that is streamed live but never stored. Such an event's <paramref name="Data"/> is published as is, not copied: give each one a fresh object.</param>
public sealed record AgentEvent(string Kind, JsonObject? Data = null, bool Persist = true);
