extern alias DashboardApp;

using System.Collections.Concurrent;
using DashboardApp::DynamoKad.Dashboard.Cluster;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

/// <summary>
/// An in-memory cluster for component tests: the nodes, faults, reads and inspections a test sets up, and a record
/// of every write the page makes. A call to an operation the test did not set up fails like an old node would
/// (Unimplemented), so the page's fallbacks are exercised too.
/// </summary>
internal sealed class FakeClusterClient : IClusterClient
{
    public List<NodeStatus> Statuses { get; } = [];

    public Dictionary<string, FaultState> Faults { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, NodeStats> Stats { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, RoutingTableView> RoutingTables { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, GetResponse> Reads { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, KeyInspection> Inspections { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Coordinator, string Key, string Value, string? Context, QuorumSettings Quorum)> Puts { get; } = new();

    public ConcurrentQueue<(string Node, FaultState Faults)> FaultChanges { get; } = new();

    public IReadOnlyList<NodeEndpoint> Nodes =>
        Statuses.Select(s => new NodeEndpoint { Name = s.Name, Address = s.Address }).ToList();

    public Uri? AspireDashboardUrl { get; set; }

    /// <summary>When set, every Put fails as a coordinator that missed its write quorum does.</summary>
    public string? PutFailure { get; set; }

    /// <summary>A healthy node with the given id and the given keys stored.</summary>
    public NodeStatus AddNode(string name, string id, ulong keys = 0)
    {
        var status = new NodeStatus(name, $"http://127.0.0.1:{7000 + Statuses.Count}", Healthy: true, id, "0.1.0", TimeSpan.FromMinutes(5), Error: null) { N = 3 };
        Statuses.Add(status);
        Stats[name] = new NodeStats { Storage = new StorageStatsView { Keys = keys }, Hints = new HintStatsView() };
        return status;
    }

    public void AddDownNode(string name) =>
        Statuses.Add(new NodeStatus(name, "http://127.0.0.1:1", Healthy: false, null, null, null, "Unavailable: connection refused"));

    /// <summary>When set, reading the node list waits for it: a cluster that has not answered yet.</summary>
    public TaskCompletionSource? NodesGate { get; set; }

    public async Task<IReadOnlyList<NodeStatus>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        if (NodesGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return Statuses
            .Select(s => s.Healthy
                ? s with { Faults = Faults.GetValueOrDefault(s.Name), Stats = Stats.GetValueOrDefault(s.Name) }
                : s)
            .ToList();
    }

    public Task<RoutingTableView> GetRoutingTableAsync(string node, CancellationToken cancellationToken = default) =>
        RoutingTables.TryGetValue(node, out var table) ? Task.FromResult(table) : Unimplemented<RoutingTableView>(node);

    public Task<NodeStats> GetStatsAsync(string node, CancellationToken cancellationToken = default) =>
        Stats.TryGetValue(node, out var stats) ? Task.FromResult(stats) : Unimplemented<NodeStats>(node);

    public Task<ClusterView> GetClusterViewAsync(string node, CancellationToken cancellationToken = default) =>
        Unimplemented<ClusterView>(node);

    public Task<KeyInspection> InspectKeyAsync(string node, string key, uint? n, CancellationToken cancellationToken = default) =>
        Inspections.TryGetValue(key, out var inspection) ? Task.FromResult(inspection) : Unimplemented<KeyInspection>(node);

    public Task<FaultState> GetFaultsAsync(string node, CancellationToken cancellationToken = default) =>
        Task.FromResult(Faults.GetValueOrDefault(node) ?? new FaultState());

    public Task<FaultState> SetFaultsAsync(string node, FaultState faults, CancellationToken cancellationToken = default)
    {
        FaultChanges.Enqueue((node, faults.Clone()));
        Faults[node] = faults.Clone();
        return Task.FromResult(faults);
    }

    public Task<PutResponse> PutAsync(string coordinator, string key, string value, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default)
    {
        if (PutFailure is not null)
        {
            return Task.FromException<PutResponse>(new NodeCallException(coordinator, "Unavailable", PutFailure));
        }

        Puts.Enqueue((coordinator, key, value, context, quorum));
        return Task.FromResult(new PutResponse { Acks = 3, Context = "after-put" });
    }

    public Task<GetResponse> GetAsync(string coordinator, string key, QuorumSettings quorum, CancellationToken cancellationToken = default) =>
        Task.FromResult(Reads.TryGetValue(key, out var read) ? read : new GetResponse { Found = false });

    public Task<DeleteResponse> DeleteAsync(string coordinator, string key, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DeleteResponse { Acks = 3 });

    private static Task<T> Unimplemented<T>(string node) =>
        Task.FromException<T>(new NodeCallException(node, "Unimplemented", "Method is unimplemented."));
}
