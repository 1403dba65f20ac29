using System.Diagnostics.CodeAnalysis;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Transport;
using DynamoKad.Transport.Faults;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>The Replica service: node-to-node replica calls mapped onto <see cref="LocalReplica"/>.</summary>
/// <param name="faults">Fault injection for stream frames (unary calls get it from the server interceptor); absent in bare test hosts.</param>
/// <param name="lifetime">Ends open streams when the node stops, so that shutdown does not wait on callers.</param>
internal sealed class ReplicaGrpcService(
    LocalReplica replica, QuorumCoordinator coordinator, FaultInjector? faults = null, IHostApplicationLifetime? lifetime = null) : Protos.V1.Replica.ReplicaBase
{
    /// <summary>A forwarded write: coordinated here; a quorum not reached is an answer (with the ack count), not an error.</summary>
    public override async Task<CoordinateResponse> Coordinate(CoordinateRequest request, ServerCallContext context)
    {
        var write = new ForwardedWrite(
            RequireKey(request.Key),
            request.Value.ToByteArray(),
            request.Tombstone,
            request.Context,
            new QuorumSettings(ToInt(request.N), ToInt(request.R), ToInt(request.W)));
        try
        {
            var result = await coordinator.CoordinateForwardedAsync(write, context.CancellationToken);
            var response = new CoordinateResponse
            {
                QuorumReached = true,
                Acks = (uint)result.Acks,
                Version = result.Version.ToProto(),
                Context = result.Context,
            };
            response.Siblings.AddRange(result.Siblings.Select(s => s.ToProto()));
            return response;
        }
        catch (QuorumNotReachedException ex)
        {
            return new CoordinateResponse { QuorumReached = false, Acks = (uint)ex.Answered };
        }
        catch (Exception ex) when (ex is InvalidCausalContextException or QuorumValidationException or ArgumentException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
    }

    private static int ToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    public override async Task<ReplicaWriteResponse> Write(ReplicaWriteRequest request, ServerCallContext context)
    {
        var versions = DecodeVersions(request);
        NodeId? hintFor = request.HintFor.IsEmpty ? null : ParseId(request.HintFor, "hint_for");
        await replica.WriteAsync(RequireKey(request.Key), versions, hintFor, context.CancellationToken);
        return new ReplicaWriteResponse { Stored = true };
    }

    public override async Task<ReplicaReadResponse> Read(ReplicaReadRequest request, ServerCallContext context)
    {
        var versions = await replica.ReadAsync(RequireKey(request.Key), context.CancellationToken);
        var response = new ReplicaReadResponse();
        response.Versions.AddRange(versions.Select(v => v.ToProto()));
        return response;
    }

    /// <summary>The per-request replica traffic of one caller (<see cref="ReplicaStreamSession"/>), until it ends the call or this node stops.</summary>
    public override async Task Stream(IAsyncStreamReader<ReplicaStreamFrame> requestStream, IServerStreamWriter<ReplicaStreamReply> responseStream, ServerCallContext context)
    {
        // Callers learn who lives at this address from the first answer's headers (fault injection cuts links by id).
        await context.WriteResponseHeadersAsync(new Metadata { { FaultInjector.NodeMetadataKey, replica.Self.ToString() } });
        using var stopping = lifetime is null
            ? CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        await new ReplicaStreamSession(replica, responseStream, FaultInjector.NodeIn(context.RequestHeaders), faults).RunAsync(requestStream, stopping.Token);
    }

    public override async Task<MerkleHashesResponse> MerkleHashes(MerkleHashesRequest request, ServerCallContext context)
    {
        if (request.Level > MerkleTree.LeafBits || request.Indices.Any(i => i >= 1u << (int)request.Level))
        {
            ThrowInvalid($"level must be 0..{MerkleTree.LeafBits} and every index below 2^level.");
        }

        var hashes = await replica.GetMerkleHashesAsync(
            ParseId(request.Requester, "requester"), (int)request.Level, [.. request.Indices.Select(i => (int)i)], context.CancellationToken);
        var response = new MerkleHashesResponse();
        response.Hashes.AddRange(hashes.Select(Google.Protobuf.ByteString.CopyFrom));
        return response;
    }

    public override async Task<LeafDigestsResponse> LeafDigests(LeafDigestsRequest request, ServerCallContext context)
    {
        if (request.Leaves.Any(l => l >= MerkleTree.LeafCount))
        {
            ThrowInvalid($"leaves must be below {MerkleTree.LeafCount}.");
        }

        var digests = await replica.GetLeafDigestsAsync(
            ParseId(request.Requester, "requester"), [.. request.Leaves.Select(l => (int)l)], context.CancellationToken);
        var response = new LeafDigestsResponse();
        response.Keys.AddRange(digests.Select(d => d.ToProto()));
        return response;
    }

    public override async Task<SyncKeysResponse> SyncKeys(SyncKeysRequest request, ServerCallContext context)
    {
        var keys = Decode(() => request.Keys.Select(k => k.ToDomain()).ToList());
        var merged = await replica.SyncKeysAsync(keys, context.CancellationToken);
        var response = new SyncKeysResponse();
        response.Keys.AddRange(merged.Select(k => k.ToProto()));
        return response;
    }

    public override async Task<ReapResponse> Reap(ReapRequest request, ServerCallContext context)
    {
        var clock = Decode(() =>
        {
            var parsed = Replication.VectorClock.Read(request.Clock.Span, out var consumed);
            return consumed == request.Clock.Length ? parsed : throw new FormatException("trailing bytes after the clock");
        });
        return new ReapResponse { Reaped = await replica.ReapAsync(RequireKey(request.Key), clock, context.CancellationToken) };
    }

    internal static byte[] RequireKey(Google.Protobuf.ByteString key)
    {
        if (key.IsEmpty)
        {
            ThrowInvalid("key must not be empty.");
        }

        return key.ToByteArray();
    }

    internal static NodeId ParseId(Google.Protobuf.ByteString bytes, string field)
    {
        if (!NodeId.TryFromBytes(bytes.Span, out var id))
        {
            ThrowInvalid($"{field} must be a {NodeId.ByteLength}-byte node id.");
        }

        return id;
    }

    internal static List<VersionedValue> DecodeVersions(ReplicaWriteRequest request)
    {
        if (request.Versions.Count == 0)
        {
            ThrowInvalid("versions must hold at least one version.");
        }

        return Decode(() => request.Versions.Select(v => v.ToDomain()).ToList());
    }

    private static T Decode<T>(Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (FormatException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "version clock is malformed: " + ex.Message));
        }
    }

    [DoesNotReturn]
    private static void ThrowInvalid(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));
}
