using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// A node's network on which every replica read to <paramref name="held"/> (of <paramref name="holdOnlyKey"/> only,
/// when given) waits for <paramref name="answer"/>.
/// </summary>
internal sealed class ReadHoldingNetwork(IReplicaNetwork inner, NodeId held, Task<IReadOnlyList<VersionedValue>> answer, byte[]? holdOnlyKey = null) : IReplicaNetwork
{
    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
        target.Id == held && (holdOnlyKey is null || key.AsSpan().SequenceEqual(holdOnlyKey))
            ? answer
            : inner.ReadAsync(target, key, timeout, cancellationToken);

    public Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.WriteAsync(target, key, versions, hintFor, timeout, cancellationToken);

    public Task<CoordinatedWrite> CoordinateAsync(ReplicaPeer target, ForwardedWrite write, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.CoordinateAsync(target, write, timeout, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(ReplicaPeer target, NodeId requester, int level, IReadOnlyList<int> indices, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.GetMerkleHashesAsync(target, requester, level, indices, timeout, cancellationToken);

    public Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(ReplicaPeer target, NodeId requester, IReadOnlyList<int> leaves, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.GetLeafDigestsAsync(target, requester, leaves, timeout, cancellationToken);

    public Task<IReadOnlyList<KeyVersions>> SyncKeysAsync(ReplicaPeer target, IReadOnlyList<KeyVersions> keys, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.SyncKeysAsync(target, keys, timeout, cancellationToken);

    public Task<bool> ReapAsync(ReplicaPeer target, byte[] key, VectorClock clock, TimeSpan timeout, CancellationToken cancellationToken) =>
        inner.ReapAsync(target, key, clock, timeout, cancellationToken);
}
