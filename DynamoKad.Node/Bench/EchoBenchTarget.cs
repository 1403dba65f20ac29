using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>
/// The floor: one unary call that does nothing. A put sends key and value, a get the key, so the payload
/// matches what the real targets carry; the server returns it unchanged.
/// </summary>
internal sealed class EchoBenchTarget : IBenchTarget
{
    private readonly BenchChannels _channels;
    private readonly Echo.EchoClient[] _clients;

    public EchoBenchTarget(BenchSettings settings)
    {
        _channels = new BenchChannels(settings.Endpoints, settings.ConnectionsPerEndpoint);
        _clients = new Echo.EchoClient[_channels.Count];
        for (var i = 0; i < _clients.Length; i++)
        {
            _clients[i] = new Echo.EchoClient(_channels[i]);
        }
    }

    public Task PutAsync(int caller, int keyIndex, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .EchoAsync(new EchoMessage { Payload = value }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public Task GetAsync(int caller, int keyIndex, ByteString key, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .EchoAsync(new EchoMessage { Payload = key }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public ValueTask DisposeAsync()
    {
        _channels.Dispose();
        return ValueTask.CompletedTask;
    }
}
