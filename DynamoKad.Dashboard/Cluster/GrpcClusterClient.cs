using System.Collections.Concurrent;
using System.Text;
using DynamoKad.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>
/// Reads and drives the cluster through each node's gRPC Admin and KeyValue APIs. One channel per node; every
/// call carries the cluster secret and a deadline, so one dead node greys out in the UI instead of stalling the page.
/// </summary>
/// <param name="handler">The HTTP handler under every channel; null for the default (tests pass one that answers in memory).</param>
internal sealed partial class GrpcClusterClient(
    IOptions<DashboardOptions> options, ILogger<GrpcClusterClient> logger, HttpMessageHandler? handler = null)
    : IClusterClient, IDisposable
{
    public const string SecretHeader = "x-dynamokad-secret";

    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<NodeEndpoint> Nodes => options.Value.Nodes;

    public Uri? AspireDashboardUrl =>
        Uri.TryCreate(options.Value.AspireDashboardUrl, UriKind.Absolute, out var uri) ? uri : null;

    public async Task<IReadOnlyList<NodeStatus>> GetNodesAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(Nodes.Select(node => GetNodeAsync(node, cancellationToken)));

    public Task<RoutingTableView> GetRoutingTableAsync(string node, CancellationToken cancellationToken = default) =>
        CallAsync(node, Admin(node).GetRoutingTableAsync(new GetRoutingTableRequest(), AdminCall(cancellationToken)));

    public Task<NodeStats> GetStatsAsync(string node, CancellationToken cancellationToken = default) =>
        CallAsync(node, Admin(node).GetStatsAsync(new GetStatsRequest(), AdminCall(cancellationToken)));

    public Task<ClusterView> GetClusterViewAsync(string node, CancellationToken cancellationToken = default) =>
        CallAsync(node, Admin(node).GetClusterViewAsync(new GetClusterViewRequest(), AdminCall(cancellationToken)));

    public Task<KeyInspection> InspectKeyAsync(string node, string key, uint? n, CancellationToken cancellationToken = default)
    {
        var request = new InspectKeyRequest { Key = Bytes(key) };
        if (n is { } value)
        {
            request.N = value;
        }

        // The inspected node asks every replica in turn: give it the longer deadline.
        return CallAsync(node, Admin(node).InspectKeyAsync(request, KeyValueCall(cancellationToken)));
    }

    public Task<FaultState> GetFaultsAsync(string node, CancellationToken cancellationToken = default) =>
        CallAsync(node, Admin(node).GetFaultsAsync(new GetFaultsRequest(), AdminCall(cancellationToken)));

    public Task<FaultState> SetFaultsAsync(string node, FaultState faults, CancellationToken cancellationToken = default) =>
        // The node resolves a blocked peer's address before applying (up to ~2 s): the longer deadline.
        CallAsync(node, Admin(node).SetFaultsAsync(new SetFaultsRequest { Faults = faults }, KeyValueCall(cancellationToken)));

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private async Task<NodeStatus> GetNodeAsync(NodeEndpoint node, CancellationToken cancellationToken)
    {
        NodeInfo info;
        try
        {
            info = await Admin(node.Name).GetNodeInfoAsync(new GetNodeInfoRequest(), AdminCall(cancellationToken));
        }
        catch (RpcException ex)
        {
            logger.LogDebug(ex, "Node {Node} at {Address} did not answer", node.Name, node.Address);
            return new NodeStatus(node.Name, node.Address, Healthy: false, null, null, null, Describe(ex));
        }

        // Each of these may be unimplemented by an older node or fail on its own: the node is still up.
        var faults = OptionalAsync(node.Name, () => GetFaultsAsync(node.Name, cancellationToken));
        var stats = OptionalAsync(node.Name, () => GetStatsAsync(node.Name, cancellationToken));
        var routing = OptionalAsync(node.Name, () => GetRoutingTableAsync(node.Name, cancellationToken));
        await Task.WhenAll(faults, stats, routing);

        return new NodeStatus(node.Name, info.Address, Healthy: true, info.NodeId, info.Version, info.Uptime?.ToTimeSpan(), Error: null)
        {
            N = info.N,
            Faults = faults.Result,
            Stats = stats.Result,
            Contacts = routing.Result is { } table ? (int)table.TotalContacts : null,
            Buckets = routing.Result?.Buckets.Count,
        };
    }

    private async Task<T?> OptionalAsync<T>(string node, Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (NodeCallException ex)
        {
            logger.LogDebug(ex, "Optional call to {Node} failed", node);
            return null;
        }
    }

    private async Task<T> CallAsync<T>(string node, AsyncUnaryCall<T> call)
    {
        try
        {
            return await call.ResponseAsync;
        }
        catch (RpcException ex)
        {
            throw new NodeCallException(node, ex.StatusCode.ToString(), ex.Status.Detail, ex);
        }
        finally
        {
            call.Dispose();
        }
    }

    private CallOptions AdminCall(CancellationToken cancellationToken) => Call(options.Value.CallTimeoutMs, cancellationToken);

    private CallOptions KeyValueCall(CancellationToken cancellationToken) => Call(options.Value.KeyValueTimeoutMs, cancellationToken);

    private CallOptions Call(int timeoutMs, CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (options.Value.Cluster.Secret is { Length: > 0 } secret)
        {
            headers.Add(SecretHeader, secret);
        }

        // grpc-dotnet measures an absolute deadline against the system clock, so it must come from that clock
        // (a TimeProvider's fake time would expire every call at once).
        return new CallOptions(headers, DateTime.UtcNow.AddMilliseconds(timeoutMs), cancellationToken);
    }

    private Admin.AdminClient Admin(string node) => new(Channel(node));

    private KeyValue.KeyValueClient KeyValue(string node) => new(Channel(node));

    private GrpcChannel Channel(string node)
    {
        var endpoint = Nodes.FirstOrDefault(n => string.Equals(n.Name, node, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No node named '{node}' is configured.", nameof(node));
        return _channels.GetOrAdd(endpoint.Address, address => handler is null
            ? GrpcChannel.ForAddress(address)
            : GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false }));
    }

    private static Google.Protobuf.ByteString Bytes(string text) => Google.Protobuf.ByteString.CopyFrom(text, Encoding.UTF8);

    private static string Describe(RpcException ex) =>
        string.IsNullOrEmpty(ex.Status.Detail) ? ex.StatusCode.ToString() : $"{ex.StatusCode}: {ex.Status.Detail}";
}
