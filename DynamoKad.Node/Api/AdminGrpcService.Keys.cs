using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>The replica inspector: what each replica of a key holds.</summary>
internal sealed partial class AdminGrpcService
{
    public override async Task<KeyInspection> InspectKey(InspectKeyRequest request, ServerCallContext context)
    {
        if (request.Key.IsEmpty)
        {
            ThrowInvalidArgument("key must not be empty.");
        }

        try
        {
            return await inspector.InspectAsync(request.Key.ToByteArray(), request.HasN ? (int)Math.Min(request.N, int.MaxValue) : null, context.CancellationToken);
        }
        catch (QuorumValidationException ex)
        {
            ThrowInvalidArgument(ex.Message);
            throw;
        }
    }

    public override Task<LocalKey> GetLocalKey(GetLocalKeyRequest request, ServerCallContext context)
    {
        if (request.Key.IsEmpty)
        {
            ThrowInvalidArgument("key must not be empty.");
        }

        return localKeys.ReadAsync(request.Key.ToByteArray(), context.CancellationToken);
    }
}
