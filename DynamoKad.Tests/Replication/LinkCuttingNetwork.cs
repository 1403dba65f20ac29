using System.Collections.Concurrent;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// A partition for the gRPC cluster, applied on the calling side (as the node's fault-injection interceptor
/// will): calls across a cut link fail as unavailable before they reach the wire. Kills stop real servers.
/// </summary>
internal sealed class LinkCuttingNetwork(Func<IReplicaNetwork> inner, NodeId self, ConcurrentDictionary<(NodeId, NodeId), byte> cut) : IReplicaNetwork
{
    public Task<CoordinatedWrite> CoordinateAsync(ReplicaPeer target, ForwardedWrite write, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<CoordinatedWrite>(target) ?? inner().CoordinateAsync(target, write, timeout, cancellationToken);

    public Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check(target) ?? inner().WriteAsync(target, key, versions, hintFor, timeout, cancellationToken);

    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<IReadOnlyList<VersionedValue>>(target) ?? inner().ReadAsync(target, key, timeout, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(ReplicaPeer target, NodeId requester, int level, IReadOnlyList<int> indices, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<IReadOnlyList<byte[]>>(target) ?? inner().GetMerkleHashesAsync(target, requester, level, indices, timeout, cancellationToken);

    public Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(ReplicaPeer target, NodeId requester, IReadOnlyList<int> leaves, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<IReadOnlyList<KeyDigest>>(target) ?? inner().GetLeafDigestsAsync(target, requester, leaves, timeout, cancellationToken);

    public Task<IReadOnlyList<KeyVersions>> SyncKeysAsync(ReplicaPeer target, IReadOnlyList<KeyVersions> keys, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<IReadOnlyList<KeyVersions>>(target) ?? inner().SyncKeysAsync(target, keys, timeout, cancellationToken);

    public Task<bool> ReapAsync(ReplicaPeer target, byte[] key, VectorClock clock, TimeSpan timeout, CancellationToken cancellationToken) =>
        Check<bool>(target) ?? inner().ReapAsync(target, key, clock, timeout, cancellationToken);

    private Task? Check(ReplicaPeer target) =>
        cut.ContainsKey((self, target.Id)) ? Task.FromException(new ReplicaUnavailableException(target.Id, "partitioned")) : null;

    private Task<T>? Check<T>(ReplicaPeer target) =>
        cut.ContainsKey((self, target.Id)) ? Task.FromException<T>(new ReplicaUnavailableException(target.Id, "partitioned")) : null;
}
