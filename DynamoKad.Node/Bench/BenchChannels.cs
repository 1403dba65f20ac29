using System.Net;
using Grpc.Net.Client;

namespace DynamoKad.Bench;

/// <summary>
/// The client side every target shares: one <see cref="GrpcChannel"/> (one HTTP/2 connection) per endpoint
/// and connection slot, interleaved by endpoint so that caller i lands on endpoint i mod n.
/// </summary>
internal sealed class BenchChannels : IDisposable
{
    private readonly GrpcChannel[] _channels;

    public BenchChannels(IReadOnlyList<Uri> endpoints, int connectionsPerEndpoint)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        var channels = new List<GrpcChannel>();
        for (var slot = 0; slot < Math.Max(1, connectionsPerEndpoint); slot++)
        {
            foreach (var endpoint in endpoints)
            {
                channels.Add(GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler
                    {
                        // Each channel is one connection; more streams than the server's limit queue on it
                        // rather than opening a second connection behind the caller's back.
                        EnableMultipleHttp2Connections = false,
                        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                        AutomaticDecompression = DecompressionMethods.None,
                        UseProxy = false,
                    },
                    HttpVersion = HttpVersion.Version20,
                    HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
                }));
            }
        }

        _channels = [.. channels];
    }

    public int Count => _channels.Length;

    public GrpcChannel this[int index] => _channels[index];

    public GrpcChannel ForCaller(int caller) => _channels[caller % _channels.Length];

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}
