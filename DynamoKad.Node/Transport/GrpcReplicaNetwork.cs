using System.Collections.Concurrent;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using Google.Protobuf;
using DynamoKad.Transport.Faults;
using Grpc.Core;

namespace DynamoKad.Transport;

/// <summary>
/// <see cref="IReplicaNetwork"/> over the Replica gRPC service: one pooled channel per peer, a deadline on
/// every call, and every transport failure (unreachable, deadline, a malformed answer) reported as
/// <see cref="ReplicaUnavailableException"/> so the quorum logic counts it and moves on.
/// Writes and reads, the per-request traffic, go over one long-lived <c>Replica.Stream</c> call per peer
/// (<see cref="ReplicaStreamClient"/>): frames carry whatever queued meanwhile, each item with its own deadline and
/// its own failure, so sloppy quorum and hinted handoff see one call's outcome exactly as with a call per item.
/// The rest (forwarded writes, anti-entropy, tombstone collection) are unary calls.
/// </summary>
/// <param name="faults">This node's fault injection, applied to each stream frame (unary calls get it from the channel's interceptor).</param>
/// <param name="link">When set, the per-request traffic goes over replica links (<see cref="ReplicaLink"/>) presenting these, not stream calls.</param>
public sealed class GrpcReplicaNetwork(PeerChannelPool channels, FaultInjector? faults = null, ReplicaLinkCredentials? link = null) : IReplicaNetwork, IDisposable
{
    private readonly ConcurrentDictionary<NodeId, ReplicaStreamClient> _streams = new();

    /// <summary>Goes in the peer's next stream frame (see <see cref="ReplicaStreamClient"/>).</summary>
    public Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ReplicaWriteRequest
        {
            Key = UnsafeByteOperations.UnsafeWrap(key),
            HintFor = hintFor is { } owner ? UnsafeByteOperations.UnsafeWrap(owner.ToByteArray()) : ByteString.Empty,
        };
        foreach (var version in versions)
        {
            request.Versions.Add(version.ToProto());
        }

        return StreamTo(target).WriteAsync(request, timeout, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var stream in _streams.Values)
        {
            stream.Dispose();
        }

        _streams.Clear();
    }

    /// <summary>A unary call: one forwarded write, answered once the target's quorum is.</summary>
    public async Task<CoordinatedWrite> CoordinateAsync(ReplicaPeer target, ForwardedWrite write, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new CoordinateRequest
        {
            Key = UnsafeByteOperations.UnsafeWrap(write.Key),
            Value = UnsafeByteOperations.UnsafeWrap(write.Value),
            Tombstone = write.Tombstone,
            Context = write.Context ?? string.Empty,
            N = (uint)write.Quorum.N,
            R = (uint)write.Quorum.R,
            W = (uint)write.Quorum.W,
        };
        var response = await CallAsync(target, timeout, async (client, options) => await client.CoordinateAsync(request, options), cancellationToken);
        if (!response.QuorumReached)
        {
            throw new QuorumNotReachedException(write.Tombstone ? "delete" : "write", write.Quorum.W, (int)response.Acks, write.Quorum.N);
        }

        try
        {
            return new CoordinatedWrite(response.Version.ToDomain(), (int)response.Acks, response.Context, [.. response.Siblings.Select(s => s.ToDomain())]);
        }
        catch (Exception ex) when (ex is FormatException or NullReferenceException)
        {
            throw new ReplicaUnavailableException(target.Id, "malformed answer: " + ex.Message, ex);
        }
    }

    /// <summary>Goes in the peer's next stream frame.</summary>
    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
        StreamTo(target).ReadAsync(new ReplicaReadRequest { Key = UnsafeByteOperations.UnsafeWrap(key) }, timeout, cancellationToken);

    /// <summary>The stream to <paramref name="target"/>; a peer seen at a new address gets a new one.</summary>
    private ReplicaStreamClient StreamTo(ReplicaPeer target)
    {
        if (_streams.TryGetValue(target.Id, out var stream) && stream.Address == target.Address)
        {
            return stream;
        }

        var created = new ReplicaStreamClient(target.Id, target.Address, channels.GetInvoker(target.Address), faults, link);
        var replaced = stream;
        if (replaced is null ? _streams.TryAdd(target.Id, created) : _streams.TryUpdate(target.Id, created, replaced))
        {
            replaced?.Dispose();
            return created;
        }

        created.Dispose();
        return StreamTo(target);
    }

    public Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(ReplicaPeer target, NodeId requester, int level, IReadOnlyList<int> indices, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync<IReadOnlyList<byte[]>>(target, timeout, async (client, options) =>
        {
            var request = new MerkleHashesRequest { Requester = ByteString.CopyFrom(requester.ToByteArray()), Level = (uint)level };
            request.Indices.AddRange(indices.Select(i => (uint)i));
            var response = await client.MerkleHashesAsync(request, options);
            return response.Hashes.Count == indices.Count
                ? [.. response.Hashes.Select(h => h.ToByteArray())]
                : throw new ReplicaUnavailableException(target.Id, $"asked for {indices.Count} Merkle hashes, got {response.Hashes.Count}");
        }, cancellationToken);

    public Task<IReadOnlyList<Replication.KeyDigest>> GetLeafDigestsAsync(ReplicaPeer target, NodeId requester, IReadOnlyList<int> leaves, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync<IReadOnlyList<Replication.KeyDigest>>(target, timeout, async (client, options) =>
        {
            var request = new LeafDigestsRequest { Requester = ByteString.CopyFrom(requester.ToByteArray()) };
            request.Leaves.AddRange(leaves.Select(l => (uint)l));
            var response = await client.LeafDigestsAsync(request, options);
            return [.. response.Keys.Select(k => k.ToDomain())];
        }, cancellationToken);

    public Task<IReadOnlyList<Replication.KeyVersions>> SyncKeysAsync(ReplicaPeer target, IReadOnlyList<Replication.KeyVersions> keys, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync<IReadOnlyList<Replication.KeyVersions>>(target, timeout, async (client, options) =>
        {
            var request = new SyncKeysRequest();
            request.Keys.AddRange(keys.Select(k => k.ToProto()));
            var response = await client.SyncKeysAsync(request, options);
            return [.. response.Keys.Select(k => k.ToDomain())];
        }, cancellationToken);

    public Task<bool> ReapAsync(ReplicaPeer target, byte[] key, Replication.VectorClock clock, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(target, timeout, async (client, options) =>
        {
            var request = new ReapRequest { Key = ByteString.CopyFrom(key), Clock = ByteString.CopyFrom(clock.ToByteArray()) };
            return (await client.ReapAsync(request, options)).Reaped;
        }, cancellationToken);

    private Task<T> CallAsync<T>(ReplicaPeer target, TimeSpan timeout, Func<Protos.V1.Replica.ReplicaClient, CallOptions, Task<T>> call, CancellationToken cancellationToken) =>
        CallAsync(target, new CallOptions(deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken), call);

    private async Task<T> CallAsync<T>(ReplicaPeer target, CallOptions options, Func<Protos.V1.Replica.ReplicaClient, CallOptions, Task<T>> call)
    {
        var client = new Protos.V1.Replica.ReplicaClient(channels.GetInvoker(target.Address));
        try
        {
            return await call(client, options);
        }
        catch (RpcException ex)
        {
            throw new ReplicaUnavailableException(target.Id, $"{ex.StatusCode}: {ex.Status.Detail}", ex);
        }
        catch (FormatException ex)
        {
            throw new ReplicaUnavailableException(target.Id, "malformed answer: " + ex.Message, ex);
        }
    }
}
