using DynamoKad.Bench.Etcd;
using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>
/// An etcd cluster through its v3 KV API. Puts go through Raft (a follower forwards to the leader, as with
/// etcd's own round-robin client); gets are serializable ranges by default, served by the receiving member.
/// </summary>
internal sealed class EtcdBenchTarget : IBenchTarget
{
    private readonly BenchChannels _channels;
    private readonly KV.KVClient[] _clients;
    private readonly bool _serializable;

    public EtcdBenchTarget(BenchSettings settings)
    {
        _serializable = settings.Serializable;
        _channels = new BenchChannels(settings.Endpoints, settings.ConnectionsPerEndpoint);
        _clients = new KV.KVClient[_channels.Count];
        for (var i = 0; i < _clients.Length; i++)
        {
            _clients[i] = new KV.KVClient(_channels[i]);
        }
    }

    public Task PutAsync(int caller, int keyIndex, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .PutAsync(new PutRequest { Key = key, Value = value }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public Task GetAsync(int caller, int keyIndex, ByteString key, DateTime deadline, CancellationToken cancellationToken) =>
        _clients[caller % _clients.Length]
            .RangeAsync(new RangeRequest { Key = key, Serializable = _serializable }, deadline: deadline, cancellationToken: cancellationToken)
            .ResponseAsync;

    public ValueTask DisposeAsync()
    {
        _channels.Dispose();
        return ValueTask.CompletedTask;
    }
}
