using DynamoKad.Protos.V1;
using DynamoKad.Tests.Reliability.History;
using DynamoKad.Tests.Support;
using Grpc.Core;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// Injects a seeded schedule of faults one at a time, each healed before the next: SIGKILL and restart, and
/// (through Admin.SetFaults, the same control the dashboard uses) isolation, majority/minority splits,
/// latency and message loss. Every injection and heal is written to the history.
/// </summary>
internal sealed class Nemesis(StandaloneCluster cluster, HistoryRecorder history)
{
    private static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(10);
    private string[] _nodeIds = [];

    public int FaultsInjected { get; private set; }

    /// <summary>
    /// The schedule for a run of <paramref name="duration"/>: a quiet second first, then faults separated by
    /// short quiet gaps, all chosen by <paramref name="seed"/>. Splits put at most a minority on one side.
    /// </summary>
    public static IReadOnlyList<FaultStep> Schedule(int seed, TimeSpan duration, int nodes, IReadOnlyList<FaultKind> kinds)
    {
        var random = new Random(seed);
        var steps = new List<FaultStep>();
        var at = 1000.0;
        while (true)
        {
            var hold = random.Next(1500, 4000);
            if (at + hold > duration.TotalMilliseconds - 500)
            {
                break;
            }

            var kind = kinds[random.Next(kinds.Count)];
            var victim = random.Next(nodes);
            steps.Add(kind switch
            {
                FaultKind.Split => new FaultStep(at, kind, Minority(random, nodes), hold),
                FaultKind.Latency => new FaultStep(at, kind, [], hold, LatencyMs: random.Next(20, 400)),
                FaultKind.Loss => new FaultStep(at, kind, [], hold, DropRate: Math.Round(0.1 + (random.NextDouble() * 0.4), 2)),
                _ => new FaultStep(at, kind, [victim], hold),
            });
            at += hold + random.Next(500, 2000);
        }

        return steps;
    }

    public async Task RunAsync(IReadOnlyList<FaultStep> schedule, CancellationToken cancellationToken)
    {
        if (schedule.Any(s => s.Kind == FaultKind.Split))
        {
            await LoadNodeIdsAsync(cancellationToken);
        }

        foreach (var step in schedule)
        {
            var wait = step.StartMs - history.NowMs;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
            }

            await InjectAsync(step, cancellationToken);
            FaultsInjected++;
            history.Nemesis(step.Describe());
            await Task.Delay(TimeSpan.FromMilliseconds(step.HoldMs), cancellationToken);
            await HealAsync(cancellationToken);
        }
    }

    /// <summary>Restarts every dead node (waiting for health) and clears every running node's faults.</summary>
    public async Task HealAsync(CancellationToken cancellationToken)
    {
        foreach (var node in cluster.Nodes.Where(n => !n.IsRunning))
        {
            node.Start();
            await node.WaitHealthyAsync(TimeSpan.FromSeconds(90), cancellationToken);
            history.Nemesis($"restarted {node.Name} (healthy)");
        }

        if (_faultsSet)
        {
            foreach (var node in cluster.Nodes)
            {
                await SetFaultsAsync(node.Index, new FaultState(), cancellationToken);
            }

            _faultsSet = false;
            history.Nemesis("healed every node's faults");
        }
    }

    private bool _faultsSet;

    private async Task InjectAsync(FaultStep step, CancellationToken cancellationToken)
    {
        switch (step.Kind)
        {
            case FaultKind.Kill:
                cluster[step.Nodes[0]].Kill();
                break;
            case FaultKind.Isolate:
                _faultsSet = true;
                await SetFaultsAsync(step.Nodes[0], new FaultState { Isolated = true }, cancellationToken);
                break;
            case FaultKind.Split:
                _faultsSet = true;
                var minority = step.Nodes.ToHashSet();
                foreach (var node in cluster.Nodes)
                {
                    var other = cluster.Nodes.Where(n => minority.Contains(n.Index) != minority.Contains(node.Index)).Select(n => _nodeIds[n.Index]);
                    var state = new FaultState();
                    state.BlockedPeers.AddRange(other);
                    await SetFaultsAsync(node.Index, state, cancellationToken);
                }

                break;
            case FaultKind.Latency:
                _faultsSet = true;
                foreach (var node in cluster.Nodes)
                {
                    await SetFaultsAsync(node.Index, new FaultState { LatencyMs = (uint)step.LatencyMs }, cancellationToken);
                }

                break;
            case FaultKind.Loss:
                _faultsSet = true;
                foreach (var node in cluster.Nodes)
                {
                    await SetFaultsAsync(node.Index, new FaultState { DropRate = step.DropRate }, cancellationToken);
                }

                break;
        }
    }

    private async Task SetFaultsAsync(int node, FaultState faults, CancellationToken cancellationToken)
    {
        if (!cluster[node].IsRunning)
        {
            return; // a restarted process starts without faults
        }

        // A process restarted a moment ago runs but may not listen yet: it is asked again for a while.
        var giveUpAt = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await cluster.Admin(node).SetFaultsAsync(new SetFaultsRequest { Faults = faults }, deadline: DateTime.UtcNow.Add(AdminTimeout), cancellationToken: cancellationToken);
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < giveUpAt && cluster[node].IsRunning)
            {
                await Task.Delay(250, cancellationToken);
            }
            catch (RpcException ex)
            {
                throw new InvalidOperationException($"Admin.SetFaults on node{node} failed: {ex.Status}", ex);
            }
        }
    }

    private async Task LoadNodeIdsAsync(CancellationToken cancellationToken)
    {
        _nodeIds = new string[cluster.Nodes.Count];
        foreach (var node in cluster.Nodes)
        {
            var info = await cluster.Admin(node.Index).GetNodeInfoAsync(new GetNodeInfoRequest(), deadline: DateTime.UtcNow.Add(AdminTimeout), cancellationToken: cancellationToken);
            _nodeIds[node.Index] = info.NodeId;
        }
    }

    private static int[] Minority(Random random, int nodes)
    {
        var size = random.Next(1, ((nodes - 1) / 2) + 1);
        return [.. Enumerable.Range(0, nodes).OrderBy(_ => random.Next()).Take(size).Order()];
    }
}
