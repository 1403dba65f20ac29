using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>A DynamoKad cluster through KeyValue.Put/Get: blind writes (no context), the nodes' own quorums.</summary>
internal sealed class DynamoKadBenchTarget : IBenchTarget
{
    private readonly BenchChannels _channels;
    private readonly KeyValue.KeyValueClient[] _clients;

    public DynamoKadBenchTarget(BenchSettings settings)
    {
        _channels = new BenchChannels(settings.Endpoints, settings.ConnectionsPerEndpoint);
        _clients = new KeyValue.KeyValueClient[_channels.Count];
        for (var i = 0; i < _clients.Length; i++)
        {
            _clients[i] = new KeyValue.KeyValueClient(_channels[i]);
        }
    }

    public Task PutAsync(int caller, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .PutAsync(new PutRequest { Key = key, Value = value }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public Task GetAsync(int caller, ByteString key, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .GetAsync(new GetRequest { Key = key }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public ValueTask DisposeAsync()
    {
        _channels.Dispose();
        return ValueTask.CompletedTask;
    }
}
