using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>Storage, hint, anti-entropy and request statistics.</summary>
internal sealed partial class AdminGrpcService
{
    public override async Task<NodeStats> GetStats(GetStatsRequest request, ServerCallContext context)
    {
        var stored = storage.GetStats();
        var stats = new NodeStats
        {
            Storage = new StorageStatsView
            {
                Keys = (ulong)Math.Max(stored.Keys, 0),
                WalBytes = (ulong)Math.Max(stored.WalBytes, 0),
                WalSegments = (uint)Math.Max(stored.WalSegments, 0),
                AppliedWrites = (ulong)Math.Max(stored.AppliedWrites, 0),
                Durability = storageOptions.Value.Durability.ToString(),
                LastCheckpoint = stored.LastCheckpoint is { } at ? Timestamp.FromDateTimeOffset(at) : null,
            },
            Hints = new HintStatsView
            {
                Pending = (ulong)Math.Max(stored.HintsPending, 0),
                StoredTotal = (ulong)metrics.HintsStored,
                DeliveredTotal = (ulong)metrics.HintsDelivered,
            },
            AntiEntropy = new AntiEntropyStatsView
            {
                Rounds = (ulong)metrics.AntiEntropyRounds,
                KeysComparedTotal = (ulong)metrics.KeysCompared,
                KeysRepairedTotal = (ulong)metrics.KeysRepaired,
            },
            QuorumFailures = (ulong)requests.QuorumFailures,
            ReadRepairs = (ulong)metrics.ReadRepairs,
        };

        var pending = await storage.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, LocalKeyReader.MaxHintsScanned, context.CancellationToken);
        stats.Hints.ByTarget.AddRange(pending
            .GroupBy(h => NodeId.TryFromBytes(h.Target, out var id) ? id.ToString() : Convert.ToHexStringLower(h.Target))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new HintTargetStats { TargetNodeId = g.Key, Pending = (ulong)g.Count() }));

        stats.Operations.AddRange(requests.Snapshot().Select(o => new OperationStats
        {
            Operation = o.Operation,
            Total = (ulong)o.Total,
            Failed = (ulong)o.Failed,
            P50Ms = o.P50,
            P99Ms = o.P99,
        }));
        return stats;
    }
}
