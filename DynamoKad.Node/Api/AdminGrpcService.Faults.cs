using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Transport.Faults;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>Fault injection: what this node's transport breaks.</summary>
internal sealed partial class AdminGrpcService
{
    /// <summary>How long SetFaults waits to learn a blocked peer's address (a lookup when the table does not know it).</summary>
    private static readonly TimeSpan PeerResolveTimeout = TimeSpan.FromSeconds(2);

    public override Task<FaultState> GetFaults(GetFaultsRequest request, ServerCallContext context) =>
        Task.FromResult(ToProto(faults.Current));

    public override async Task<FaultState> SetFaults(SetFaultsRequest request, ServerCallContext context)
    {
        var wanted = request.Faults ?? new FaultState();
        var failures = FaultSettings.Validate((int)Math.Min(wanted.LatencyMs, int.MaxValue), wanted.DropRate);
        var blocked = new HashSet<NodeId>();
        foreach (var peer in wanted.BlockedPeers)
        {
            if (NodeId.TryParse(peer, out var id))
            {
                blocked.Add(id);
            }
            else
            {
                failures.Add($"blocked_peers must hold 40-character hex node ids; got '{peer}'.");
            }
        }

        if (failures.Count > 0)
        {
            ThrowInvalidArgument(string.Join(" ", failures));
        }

        // Resolved before the faults apply: once this node is cut off, a lookup could no longer answer.
        var addresses = new List<string>();
        using var resolve = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        resolve.CancelAfter(PeerResolveTimeout);
        foreach (var id in blocked)
        {
            try
            {
                if (await placement.FindPeerAsync(id, resolve.Token) is { } known)
                {
                    addresses.Add(known.Address);
                }
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                // Unknown for now: calls from it are still refused, and calls to it once it has answered once.
            }
        }

        faults.Set(new FaultSettings(wanted.Isolated, blocked, (int)wanted.LatencyMs, wanted.DropRate), addresses);
        return ToProto(faults.Current);
    }

    private static FaultState ToProto(FaultSettings settings)
    {
        var state = new FaultState { Isolated = settings.Isolated, LatencyMs = (uint)settings.LatencyMs, DropRate = settings.DropRate };
        state.BlockedPeers.AddRange(settings.BlockedPeers.Select(p => p.ToString()).Order(StringComparer.Ordinal));
        return state;
    }
}
