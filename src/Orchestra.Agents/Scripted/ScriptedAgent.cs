using System.Text.RegularExpressions;
using Orchestra.Core.Agents;

namespace Orchestra.Agents.Scripted;

/// <summary>
/// An agent that answers from a list of responses in its YAML: deterministic, offline, for tests, demos and
/// benchmarks. The first response whose <c>match</c> (and <c>attempt</c>) fits answers; with none, it echoes.
/// </summary>
public sealed class ScriptedAgent : Agent
{
    private readonly ScriptedOptions _options;
    private readonly Regex?[] _patterns;

    /// <summary>Creates the agent; invalid regular expressions are reported here.</summary>
    public ScriptedAgent(string name, ScriptedOptions options) : base(name)
    {
        _options = options;
        MaxConcurrency = options.MaxConcurrency;
        _patterns = new Regex?[options.Responses.Count];
        for (var i = 0; i < options.Responses.Count; i++)
        {
            if (options.Responses[i].Match is not { } pattern)
                continue;
            try
            {
                _patterns[i] = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                throw new Orchestra.Core.OrchestraException($"Agent '{name}': responses[{i}].match is not a valid regular expression: {ex.Message}");
            }
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<AgentResult> InvokeCoreAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var response = Pick(context);
        if (response is null)
            return AgentResult.Success(context.Prompt);
        if (response.Delay is { } delay && delay > TimeSpan.Zero)
            await Task.Delay(delay, context.Time, cancellationToken).ConfigureAwait(false);
        var error = response.Error ?? $"scripted {response.Fail.ToString().ToLowerInvariant()} failure";
        return response.Fail switch
        {
            ScriptedFailure.Transient => AgentResult.Transient(Render(error, context), response.Usage),
            ScriptedFailure.Permanent => AgentResult.Permanent(Render(error, context), response.Usage),
            _ => new AgentResult
            {
                Outcome = AgentOutcome.Succeeded,
                Output = response.Output is null ? context.Prompt : Render(response.Output, context),
                Usage = response.Usage,
                Data = response.Data?.DeepClone(),
                StateDelta = response.State?.DeepClone() as System.Text.Json.Nodes.JsonObject,
                Route = response.Route,
            },
        };
    }

    private ScriptedResponse? Pick(AgentContext context)
    {
        for (var i = 0; i < _options.Responses.Count; i++)
        {
            var r = _options.Responses[i];
            if (r.Attempt is { } attempt && attempt != context.Attempt)
                continue;
            if (_patterns[i] is { } regex && !regex.IsMatch(context.Prompt))
                continue;
            return r;
        }
        return null;
    }

    private static string Render(string template, AgentContext context) => template
        .Replace("{prompt}", context.Prompt, StringComparison.Ordinal)
        .Replace("{step_id}", context.Step.Id, StringComparison.Ordinal)
        .Replace("{attempt}", context.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
