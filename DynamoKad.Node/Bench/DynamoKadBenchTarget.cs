using DynamoKad.Client;
using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>
/// A DynamoKad cluster through KeyValue.Put/Get. Like a real client it remembers the causal context of the
/// last answer for each key and sends it with the next put, so a put overwrites what this client saw (as an
/// etcd put does); a blind put would instead add a sibling each time (Dynamo §4.4) and reads would grow
/// without bound. <c>--blind-writes</c> measures that case. With <c>--client session</c> the requests go as a
/// pipelining client sends them: on one <c>KeyValue.Session</c> call per endpoint, shared by the callers of that
/// endpoint (each still waits for its own answer before its next request).
/// </summary>
internal sealed class DynamoKadBenchTarget : IBenchTarget
{
    private readonly BenchChannels _channels;
    private readonly KeyValue.KeyValueClient[] _clients;
    private readonly KeyValueSessionClient[]? _sessions;
    private readonly string?[]? _contexts;
    private readonly Quorum? _readQuorum;
    private readonly Quorum? _writeQuorum;

    public DynamoKadBenchTarget(BenchSettings settings)
    {
        _channels = new BenchChannels(settings.Endpoints, settings.ConnectionsPerEndpoint);
        _clients = new KeyValue.KeyValueClient[_channels.Count];
        for (var i = 0; i < _clients.Length; i++)
        {
            _clients[i] = new KeyValue.KeyValueClient(_channels[i]);
        }

        _sessions = settings.Session ? [.. _clients.Select(client => new KeyValueSessionClient(client))] : null;
        _contexts = settings.BlindWrites ? null : new string?[settings.Keys];
        _readQuorum = settings.ReadQuorum is { } r ? new Quorum { R = (uint)r } : null;
        _writeQuorum = settings.WriteQuorum is { } w ? new Quorum { W = (uint)w } : null;
    }

    public bool RemembersKeys => _contexts is not null;

    public async Task PutAsync(int caller, int keyIndex, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken)
    {
        var request = new PutRequest { Key = key, Value = value, Quorum = _writeQuorum };
        if (_contexts?[keyIndex] is { } context)
        {
            request.Context = context;
        }

        var response = _sessions is { } sessions
            ? await sessions[caller % sessions.Length].PutAsync(request, deadline, cancellationToken)
            : await _clients[caller % _clients.Length].PutAsync(request, deadline: deadline, cancellationToken: cancellationToken);
        _contexts?[keyIndex] = response.Context;
    }

    public async Task GetAsync(int caller, int keyIndex, ByteString key, DateTime deadline, CancellationToken cancellationToken)
    {
        var request = new GetRequest { Key = key, Quorum = _readQuorum };
        var response = _sessions is { } sessions
            ? await sessions[caller % sessions.Length].GetAsync(request, deadline, cancellationToken)
            : await _clients[caller % _clients.Length].GetAsync(request, deadline: deadline, cancellationToken: cancellationToken);
        if (response.Found)
        {
            _contexts?[keyIndex] = response.Context;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions ?? [])
        {
            await session.DisposeAsync();
        }

        _channels.Dispose();
    }
}
