using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Transport;

/// <summary>
/// <see cref="IReplicaNetwork"/> over the Replica gRPC service: one pooled channel per peer, a deadline on
/// every call, and every transport failure (unreachable, deadline, a malformed answer) reported as
/// <see cref="ReplicaUnavailableException"/> so the quorum logic counts it and moves on.
/// </summary>
public sealed class GrpcReplicaNetwork(PeerChannelPool channels) : IReplicaNetwork
{
    public Task WriteAsync(ReplicaPeer target, byte[] key, VersionedValue version, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(target, timeout, async (client, options) =>
        {
            var request = new ReplicaWriteRequest
            {
                Key = ByteString.CopyFrom(key),
                Version = version.ToProto(),
                HintFor = hintFor is { } owner ? ByteString.CopyFrom(owner.ToByteArray()) : ByteString.Empty,
            };
            var response = await client.WriteAsync(request, options);
            return response.Stored ? true : throw new ReplicaUnavailableException(target.Id, "replica did not store the write");
        }, cancellationToken);

    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync<IReadOnlyList<VersionedValue>>(target, timeout, async (client, options) =>
        {
            var response = await client.ReadAsync(new ReplicaReadRequest { Key = ByteString.CopyFrom(key) }, options);
            return [.. response.Versions.Select(v => v.ToDomain())];
        }, cancellationToken);

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

    private async Task<T> CallAsync<T>(ReplicaPeer target, TimeSpan timeout, Func<Protos.V1.Replica.ReplicaClient, CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        var client = new Protos.V1.Replica.ReplicaClient(channels.GetInvoker(target.Address));
        var options = new CallOptions(deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken);
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
