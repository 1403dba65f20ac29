using DynamoKad.Protos.V1;
using Grpc.Core;

namespace DynamoKad.Bench;

/// <summary>Returns the payload it was sent: the cheapest unary RPC the server stack can serve.</summary>
internal sealed class EchoGrpcService : Echo.EchoBase
{
    public override Task<EchoMessage> Echo(EchoMessage request, ServerCallContext context) => Task.FromResult(request);
}
