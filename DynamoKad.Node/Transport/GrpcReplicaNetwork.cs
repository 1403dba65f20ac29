using System.Collections.Concurrent;
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
/// Writes and reads, the per-request traffic, are batched per peer (<c>WriteBatch</c> / <c>ReadBatch</c>, see
/// <see cref="PeerBatcher{TItem, TResult}"/>): one call in flight per peer and kind carries everything that queued
/// meanwhile, each item with its own deadline and its own failure, so sloppy quorum and hinted handoff see one
/// call's outcome exactly as before.
/// </summary>
public sealed class GrpcReplicaNetwork(PeerChannelPool channels) : IReplicaNetwork
{
    private readonly ConcurrentDictionary<NodeId, PeerBatcher<ReplicaWriteRequest, bool>> _writers = new();
    private readonly ConcurrentDictionary<NodeId, PeerBatcher<ReplicaReadRequest, IReadOnlyList<VersionedValue>>> _readers = new();

    /// <summary>Goes in the peer's next <c>WriteBatch</c> (see <see cref="PeerBatcher{TItem, TResult}"/>).</summary>
    public Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ReplicaWriteRequest
        {
            Key = UnsafeByteOperations.UnsafeWrap(key),
            HintFor = hintFor is { } owner ? ByteString.CopyFrom(owner.ToByteArray()) : ByteString.Empty,
        };
        foreach (var version in versions)
        {
            request.Versions.Add(version.ToProto());
        }

        return WriterFor(target).EnqueueAsync(request, timeout, cancellationToken);
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

    /// <summary>Goes in the peer's next <c>ReadBatch</c>.</summary>
    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
        ReaderFor(target).EnqueueAsync(new ReplicaReadRequest { Key = UnsafeByteOperations.UnsafeWrap(key) }, timeout, cancellationToken);

    private PeerBatcher<ReplicaWriteRequest, bool> WriterFor(ReplicaPeer target) =>
        _writers.TryGetValue(target.Id, out var batcher) && batcher.Address == target.Address
            ? batcher
            : _writers[target.Id] = new PeerBatcher<ReplicaWriteRequest, bool>(target.Id, target.Address, "replica.write_batch", (items, deadline) => SendWritesAsync(target, items, deadline));

    private PeerBatcher<ReplicaReadRequest, IReadOnlyList<VersionedValue>> ReaderFor(ReplicaPeer target) =>
        _readers.TryGetValue(target.Id, out var batcher) && batcher.Address == target.Address
            ? batcher
            : _readers[target.Id] = new PeerBatcher<ReplicaReadRequest, IReadOnlyList<VersionedValue>>(target.Id, target.Address, "replica.read_batch", (items, deadline) => SendReadsAsync(target, items, deadline));

    private async Task SendWritesAsync(ReplicaPeer target, IReadOnlyList<PeerBatcher<ReplicaWriteRequest, bool>.Pending> items, DateTime deadline)
    {
        var request = new ReplicaWriteBatchRequest();
        foreach (var item in items)
        {
            request.Items.Add(item.Item);
        }

        var response = await CallAsync(target, deadline, (client, options) => client.WriteBatchAsync(request, options).ResponseAsync);
        CheckCount(target, items.Count, response.Items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var status = response.Items[i];
            if (status.Code == 0)
            {
                items[i].Succeed(true);
            }
            else
            {
                items[i].Fail(ItemFailed(target, status));
            }
        }
    }

    private async Task SendReadsAsync(ReplicaPeer target, IReadOnlyList<PeerBatcher<ReplicaReadRequest, IReadOnlyList<VersionedValue>>.Pending> items, DateTime deadline)
    {
        var request = new ReplicaReadBatchRequest();
        foreach (var item in items)
        {
            request.Items.Add(item.Item);
        }

        var response = await CallAsync(target, deadline, (client, options) => client.ReadBatchAsync(request, options).ResponseAsync);
        CheckCount(target, items.Count, response.Items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var answer = response.Items[i];
            if (answer.Status is { Code: not 0 } status)
            {
                items[i].Fail(ItemFailed(target, status));
                continue;
            }

            try
            {
                var versions = new VersionedValue[answer.Versions.Count];
                for (var v = 0; v < versions.Length; v++)
                {
                    versions[v] = answer.Versions[v].ToDomain();
                }

                items[i].Succeed(versions);
            }
            catch (FormatException ex)
            {
                items[i].Fail(new ReplicaUnavailableException(target.Id, "malformed answer: " + ex.Message, ex));
            }
        }
    }

    private static void CheckCount(ReplicaPeer target, int sent, int answered)
    {
        if (sent != answered)
        {
            throw new ReplicaUnavailableException(target.Id, $"sent a batch of {sent}, got {answered} answers");
        }
    }

    private static ReplicaUnavailableException ItemFailed(ReplicaPeer target, ReplicaItemStatus status) =>
        new(target.Id, $"{(StatusCode)status.Code}: {status.Detail}");

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

    private Task<T> CallAsync<T>(ReplicaPeer target, DateTime deadline, Func<Protos.V1.Replica.ReplicaClient, CallOptions, Task<T>> call) =>
        CallAsync(target, new CallOptions(deadline: deadline), call);

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
