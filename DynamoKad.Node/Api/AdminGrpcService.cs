using System.Diagnostics.CodeAnalysis;
using System.Net;
using DynamoKad.Hosting;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Storage;
using DynamoKad.Transport.Faults;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DynamoKad.Api;

/// <summary>
/// The Admin service (specs/v1/admin.proto): node information, routing, statistics, the replica inspector and
/// fault injection, for operators and the dashboard. Guarded by the cluster secret (ClusterSecretServerInterceptor);
/// never subject to injected faults, so a broken node can always be inspected and healed.
/// </summary>
internal sealed partial class AdminGrpcService(
    NodeIdentity identity,
    NodeClock clock,
    IOptions<NodeOptions> nodeOptions,
    IOptions<ReplicationOptions> replicationOptions,
    IReplicaPlacement placement,
    KademliaNode kademlia,
    FaultInjector faults,
    LocalKeyReader localKeys,
    ReplicaInspector inspector,
    IStorageEngine storage,
    IOptions<StorageOptions> storageOptions,
    ReplicationMetrics metrics,
    RequestStatistics requests,
    TimeProvider time) : Admin.AdminBase
{
    public override Task<NodeInfo> GetNodeInfo(GetNodeInfoRequest request, ServerCallContext context)
    {
        var replication = replicationOptions.Value;
        return Task.FromResult(new NodeInfo
        {
            NodeId = identity.Id.ToString(),
            Address = nodeOptions.Value.ResolvedAdvertisedAddress,
            Uptime = Duration.FromTimeSpan(clock.Uptime),
            Version = NodeClock.BuildVersion,
            Name = identity.Name,
            N = (uint)replication.N,
            R = (uint)replication.R,
            W = (uint)replication.W,
            HttpAddress = HttpAddress(nodeOptions.Value),
        });
    }

    /// <summary>The HTTP endpoint as a URL; a wildcard bind address is shown as the host name, like the gRPC address.</summary>
    public static string HttpAddress(NodeOptions options)
    {
        var endpoint = options.HttpEndPoint;
        var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
            ? Dns.GetHostName()
            : endpoint.Address.ToString();
        return $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{endpoint.Port}";
    }

    [DoesNotReturn]
    private static void ThrowInvalidArgument(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));
}
