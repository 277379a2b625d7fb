using System.Text.Json.Nodes;
using Orchestra.Core.Agents;
using Orchestra.Core.Graphs;
using Orchestra.Core.Model;

namespace Orchestra.Core.Engine;

public sealed partial class OrchestraEngine
{
    // Bookkeeping kept in RunRecord.Graph:
    //   outputs: node → latest output;  fired: edge id → times fired;
    //   joins: edge id → sources arrived in this wave;  absorb: edge id → sources to absorb after an 'any' join fired.

    /// <summary>Evaluates the edges leaving <paramref name="fromNode"/> and creates the steps they activate.</summary>
    private async ValueTask FireEdgesAsync(Tx tx, RunRecord run, GraphDefinition graph, string fromNode, AgentResult? result, CancellationToken ct)
    {
        run = await tx.RunAsync(run.Id, ct).ConfigureAwait(false);
        var book = (JsonObject)run.Graph.DeepClone();
        var outputs = Child(book, "outputs");
        if (result is not null)
            outputs[fromNode] = result.Data?.DeepClone() ?? JsonValue.Create(result.Output ?? "");
        var context = new GraphContext(run.State, outputs, fromNode == GraphDefinition.Start ? null : fromNode, result?.Route);
        var targets = new List<string>();
        // Targets of edges with 'approve': their steps are created waiting for a person.
        var held = new List<bool>();
        string? failure = null;

        foreach (var edge in graph.Outgoing.GetValueOrDefault(fromNode) ?? [])
        {
            if (edge.From.Count > 1 && !ArriveAtJoin(book, edge, fromNode))
                continue;
            if (edge.Condition is { } condition && !Evaluate(condition, context, edge, out failure))
            {
                if (failure is not null) break;
                continue;
            }
            var fired = Child(book, "fired");
            var count = (fired[edge.Id]?.GetValue<int>() ?? 0) + 1;
            if (edge.MaxLoops is { } max && count > max)
            {
                if (edge.Fallback is { } fallback)
                {
                    targets.Add(fallback);
                    held.Add(false);
                    continue;
                }
                failure = $"the loop {string.Join("+", edge.From)} → {string.Join("+", edge.To)} exceeded max_loops {max}";
                break;
            }
            fired[edge.Id] = count;
            targets.AddRange(edge.To);
            held.AddRange(edge.To.Select(_ => edge.Approve));
        }

        run = run with { Graph = book };
        await tx.SaveRunAsync(run, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            await FailRunAsync(tx, run, failure, ct).ConfigureAwait(false);
            return;
        }

        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (target == GraphDefinition.End)
                continue;
            var node = graph.Nodes[target];
            string prompt;
            try
            {
                prompt = node.Prompt?.Invoke(context) ?? "";
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await FailRunAsync(tx, run, $"the prompt of node '{target}' could not be built: {ex.Message}", ct).ConfigureAwait(false);
                return;
            }
            var stepId = Ids.NewStepId(Time);
            var step = new StepRecord
            {
                Id = stepId,
                RunId = run.Id,
                Name = target,
                Node = target,
                Agent = graph.AgentFor(node),
                Prompt = prompt,
                Input = HumanInput(node, stepId),
                Status = held[i] ? StepStatus.Waiting : StepStatus.Ready,
                Priority = node.Priority,
                MaxAttempts = node.MaxAttempts,
                Timeout = node.Timeout,
                OnDependencyFailure = run.OnDependencyFailure,
                CreatedAt = tx.Now,
            };
            step = await tx.Store.InsertStepAsync(step, ct).ConfigureAwait(false);
            await tx.AppendAsync(EventTypes.StepCreated, run.Id, step.Id, new JsonObject { ["name"] = target, ["agent"] = step.Agent, ["status"] = step.Status.ToWire(), ["from"] = fromNode }, ct).ConfigureAwait(false);
            if (held[i])
                await HoldForEdgeApprovalAsync(tx, step, ct).ConfigureAwait(false);
        }
    }

    private static bool Evaluate(Func<GraphContext, bool> condition, GraphContext context, GraphEdge edge, out string? failure)
    {
        failure = null;
        try
        {
            return condition(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failure = $"the condition of edge {string.Join("+", edge.From)} → {string.Join("+", edge.To)} failed: {ex.Message}";
            return false;
        }
    }

    /// <summary>Records that <paramref name="source"/> arrived at a fan-in edge; true when the edge should fire now.</summary>
    private static bool ArriveAtJoin(JsonObject book, GraphEdge edge, string source)
    {
        var absorb = Child(book, "absorb");
        if (absorb[edge.Id] is JsonArray pendingAbsorb && pendingAbsorb.Any(n => n?.GetValue<string>() == source))
        {
            // The rest of a wave whose 'any' join already fired.
            var rest = new JsonArray(pendingAbsorb.Where(n => n?.GetValue<string>() != source).Select(n => (JsonNode?)n!.GetValue<string>()).ToArray());
            if (rest.Count == 0) absorb.Remove(edge.Id); else absorb[edge.Id] = rest;
            return false;
        }
        if (edge.Join == JoinMode.Any)
        {
            var others = edge.From.Where(f => f != source).Select(f => (JsonNode?)f).ToArray();
            if (others.Length > 0)
                absorb[edge.Id] = new JsonArray(others);
            return true;
        }
        var joins = Child(book, "joins");
        var arrived = joins[edge.Id] as JsonArray ?? [];
        // A set, so that a wide fan-in costs linear time per arrival rather than quadratic.
        var names = new HashSet<string>(arrived.OfType<JsonNode>().Select(n => n.GetValue<string>()), StringComparer.Ordinal);
        if (names.Add(source))
            arrived = new JsonArray([.. arrived.Select(n => n?.DeepClone()), source]);
        if (edge.From.All(names.Contains))
        {
            joins.Remove(edge.Id);
            return true;
        }
        joins[edge.Id] = arrived;
        return false;
    }

    private static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject child)
            return child;
        child = [];
        parent[key] = child;
        return child;
    }
}
