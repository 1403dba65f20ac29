using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>
/// The client API: Put/Get/Delete mapped onto <see cref="QuorumCoordinator"/>. A bad context or quorum is
/// INVALID_ARGUMENT, a missed quorum is UNAVAILABLE (with how many replicas answered), and a missing or
/// deleted key is found=false, not an error.
/// </summary>
internal sealed class KeyValueGrpcService(QuorumCoordinator coordinator) : KeyValue.KeyValueBase
{
    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        var result = await Run(() => coordinator.PutAsync(
            RequireKey(request.Key), request.Value.Memory, request.Context, ToOverrides(request.Quorum), context.CancellationToken));
        return new PutResponse { Context = result.Context, Acks = (uint)result.Acks };
    }

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var result = await Run(() => coordinator.GetAsync(RequireKey(request.Key), ToOverrides(request.Quorum), context.CancellationToken));
        var response = new GetResponse
        {
            Found = result.Found,
            Context = result.Context,
            ReplicasAnswered = (uint)result.AnsweredBy.Count,
            ReadRepairScheduled = result.ReadRepairScheduled,
        };
        response.AnsweredBy.AddRange(result.AnsweredBy.Select(id => id.ToString()));
        response.Siblings.AddRange(result.Siblings.Select(ToSibling));
        return response;
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var result = await Run(() => coordinator.DeleteAsync(RequireKey(request.Key), request.Context, ToOverrides(request.Quorum), context.CancellationToken));
        return new DeleteResponse { Acks = (uint)result.Acks };
    }

    private static Sibling ToSibling(VersionedValue version)
    {
        var clock = new Protos.V1.VectorClock();
        clock.Entries.AddRange(version.Clock.ToVectorClock().Entries.Select(e => new Protos.V1.ClockEntry
        {
            NodeId = ByteString.CopyFrom(e.Node.ToByteArray()),
            Counter = e.Counter,
            TimestampUnixMs = e.TimestampMs,
        }));
        return new Sibling { Value = UnsafeByteOperations.UnsafeWrap(version.Value), Clock = clock };
    }

    private static QuorumOverrides? ToOverrides(Quorum? quorum) =>
        quorum is null
            ? null
            : new QuorumOverrides(
                quorum.HasN ? ToInt(quorum.N) : null,
                quorum.HasR ? ToInt(quorum.R) : null,
                quorum.HasW ? ToInt(quorum.W) : null);

    private static int ToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private static ReadOnlyMemory<byte> RequireKey(ByteString key)
    {
        if (key.IsEmpty)
        {
            ThrowInvalidArgument("key must not be empty.");
        }

        return key.Memory;
    }

    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InvalidCausalContextException ex)
        {
            ThrowInvalidArgument(ex.Message);
        }
        catch (QuorumValidationException ex)
        {
            ThrowInvalidArgument(ex.Message);
        }
        catch (QuorumNotReachedException ex)
        {
            ThrowUnavailable(ex.Message);
        }

        throw new UnreachableException();
    }

    [DoesNotReturn]
    private static void ThrowInvalidArgument(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));

    [DoesNotReturn]
    private static void ThrowUnavailable(string message) => throw new RpcException(new Status(StatusCode.Unavailable, message));
}
