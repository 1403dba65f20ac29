using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace DynamoKad.Transport;

/// <summary>
/// One long-lived gRPC channel per peer address for node-to-node traffic. Channels are built on our own
/// <see cref="SocketsHttpHandler"/>, never through IHttpClientFactory, so no retrying resilience handler
/// sits in the path: every call carries an explicit deadline instead, and a slow or dead peer shows up
/// as a fast, honest failure that the quorum logic can count.
/// </summary>
public sealed class PeerChannelPool : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CallInvoker> _invokers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Interceptor[] _interceptors;
    private readonly Func<string, Interceptor>? _peerInterceptor;

    /// <param name="interceptors">Applied to every call, first outermost (e.g. the cluster secret).</param>
    /// <param name="peerInterceptor">
    /// Builds one interceptor per peer address, innermost, for concerns that must know which peer a call goes
    /// to (fault injection cuts links by peer).
    /// </param>
    public PeerChannelPool(IEnumerable<Interceptor>? interceptors = null, Func<string, Interceptor>? peerInterceptor = null)
    {
        _interceptors = interceptors?.ToArray() ?? [];
        _peerInterceptor = peerInterceptor;
    }

    /// <summary>A call invoker for <paramref name="address"/> (http://host:port or host:port), with the pool's interceptors.</summary>
    public CallInvoker GetInvoker(string address)
    {
        var normalized = Normalize(address);
        return _invokers.GetOrAdd(normalized, static (key, pool) =>
        {
            var channel = pool._channels.GetOrAdd(key, CreateChannel);
            var invoker = channel.CreateCallInvoker();
            Interceptor[] interceptors = pool._peerInterceptor is { } create ? [.. pool._interceptors, create(key)] : pool._interceptors;
            return interceptors.Length == 0 ? invoker : invoker.Intercept(interceptors);
        }, this);
    }

    /// <summary>Accepts http://host:port, https://host:port and bare host:port (read as http).</summary>
    public static string Normalize(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var trimmed = address.Trim().TrimEnd('/');
        return trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
        _invokers.Clear();
    }

    private static GrpcChannel CreateChannel(string address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(2),
            },
            // Retries belong to the protocol (hinted handoff, read repair, anti-entropy), not the channel.
            MaxRetryAttempts = 0,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
}
