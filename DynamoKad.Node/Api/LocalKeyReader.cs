using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Storage;

namespace DynamoKad.Api;

/// <summary>What this node alone holds for a key (Admin.GetLocalKey): its stored versions and the hints it keeps for others.</summary>
internal sealed class LocalKeyReader(IStorageEngine storage, Replication.LocalReplica replica)
{
    /// <summary>Pending hints looked through at most: the inspector is a diagnostic, not a scan of a huge backlog.</summary>
    public const int MaxHintsScanned = 10_000;

    public NodeId Self => replica.Self;

    public async Task<LocalKey> ReadAsync(byte[] key, CancellationToken cancellationToken)
    {
        var self = Self.ToString();
        var result = new LocalKey { NodeId = self };
        var versions = await storage.ReadAsync(key, cancellationToken);
        result.Versions.AddRange(versions.Select(v => v.ToView()));

        var hints = await storage.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, MaxHintsScanned, cancellationToken);
        result.Hints.AddRange(hints
            .Where(h => h.Key.AsSpan().SequenceEqual(key))
            .Select(h => new HintHolding
            {
                HolderNodeId = self,
                TargetNodeId = NodeId.TryFromBytes(h.Target, out var target) ? target.ToString() : Convert.ToHexStringLower(h.Target),
                Version = h.Version.ToView(),
            }));
        return result;
    }
}
