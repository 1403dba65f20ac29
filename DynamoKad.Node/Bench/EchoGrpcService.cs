using DynamoKad.Protos.V1;
using Grpc.Core;

namespace DynamoKad.Bench;

/// <summary>
/// Returns the payload it was sent: the cheapest unary RPC the server stack can serve. With a relay, each payload
/// first goes to a frame echo and back (<see cref="RelayLink"/>): the floor of an RPC that needs one replica hop.
/// </summary>
internal sealed class EchoGrpcService(RelayLink? relay = null) : Echo.EchoBase
{
    public override Task<EchoMessage> Echo(EchoMessage request, ServerCallContext context) =>
        relay is null ? Task.FromResult(request) : RelayAsync(relay, request);

    private static async Task<EchoMessage> RelayAsync(RelayLink relay, EchoMessage request)
    {
        await relay.RoundTripAsync(request.Payload.Span);
        return request;
    }
}
