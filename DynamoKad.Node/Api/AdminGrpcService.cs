using DynamoKad.Hosting;
using DynamoKad.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DynamoKad.Api;

/// <summary>The Admin service: node information (and, later, routing, statistics and fault injection).</summary>
internal sealed class AdminGrpcService(NodeIdentity identity, NodeClock clock, IOptions<NodeOptions> options) : Admin.AdminBase
{
    public override Task<NodeInfo> GetNodeInfo(GetNodeInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeInfo
        {
            NodeId = identity.Id.ToString(),
            Address = options.Value.ResolvedAdvertisedAddress,
            Uptime = Duration.FromTimeSpan(clock.Uptime),
            Version = NodeClock.BuildVersion,
            Name = identity.Name,
        });
}
