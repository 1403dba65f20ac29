using System.Collections.Concurrent;
using DynamoKad.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>
/// Reads the cluster through each node's gRPC Admin API. One channel per node; every call has a deadline
/// so one dead node greys out in the UI instead of stalling the page.
/// </summary>
internal sealed class GrpcClusterClient(IOptions<DashboardOptions> options, ILogger<GrpcClusterClient> logger) : IClusterClient, IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IReadOnlyList<NodeStatus>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        var nodes = options.Value.Nodes;
        var results = await Task.WhenAll(nodes.Select(node => GetNodeAsync(node, cancellationToken)));
        return results;
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private async Task<NodeStatus> GetNodeAsync(NodeEndpoint node, CancellationToken cancellationToken)
    {
        try
        {
            var client = new Admin.AdminClient(Channel(node.Address));
            var info = await client.GetNodeInfoAsync(
                new GetNodeInfoRequest(),
                deadline: DateTime.UtcNow.AddMilliseconds(options.Value.CallTimeoutMs),
                cancellationToken: cancellationToken);
            return new NodeStatus(node.Name, info.Address, Healthy: true, info.NodeId, info.Version, info.Uptime.ToTimeSpan(), Error: null);
        }
        catch (RpcException ex)
        {
            logger.LogDebug(ex, "Node {Node} at {Address} did not answer", node.Name, node.Address);
            return new NodeStatus(node.Name, node.Address, Healthy: false, null, null, null, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    private GrpcChannel Channel(string address) => _channels.GetOrAdd(address, static a => GrpcChannel.ForAddress(a));
}
