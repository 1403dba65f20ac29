using System.Collections.Concurrent;
using System.Collections.Frozen;
using DynamoKad.Kademlia;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace DynamoKad.Transport.Faults;

/// <summary>
/// This node's fault state and the decisions the transport's interceptors take from it
/// (<see cref="FaultClientInterceptor"/> on every call the node makes through <see cref="PeerChannelPool"/>,
/// <see cref="FaultServerInterceptor"/> on every node-to-node call it serves). Faults act on the real network
/// path, so the dashboard, Aspire commands and tests all break the cluster the same way.
/// A blocked peer is recognized on calls it makes by the <see cref="NodeMetadataKey"/> header, and on calls to it
/// by its address: given when the faults are set (from the routing table) or learned from its earlier answers.
/// </summary>
public sealed class FaultInjector
{
    /// <summary>Node-to-node calls carry the caller's node id (request) and the callee's (trailers) in this metadata.</summary>
    public const string NodeMetadataKey = "x-dynamokad-node";

    /// <summary>The node id named in <paramref name="metadata"/> (<see cref="NodeMetadataKey"/>); null when absent or malformed.</summary>
    public static NodeId? NodeIn(Metadata metadata) =>
        metadata.GetValue(NodeMetadataKey) is { } text && NodeId.TryParse(text, out var id) ? id : null;

    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, NodeId> _peerIds = new(StringComparer.OrdinalIgnoreCase);
    private volatile State _state = new(FaultSettings.None, FrozenSet<string>.Empty);
    private long _injected;

    /// <param name="self">This node's id, sent on every node-to-node call so the callee can apply its blocked peers.</param>
    /// <param name="time">The clock added latency waits on.</param>
    /// <param name="random">Decides which calls are dropped: seeded in tests.</param>
    public FaultInjector(NodeId self, TimeProvider time, Random? random = null, ILogger<FaultInjector>? logger = null)
    {
        Self = self;
        _time = time;
        _random = random ?? new Random();
        _logger = logger ?? NullLogger<FaultInjector>.Instance;
    }

    public NodeId Self { get; }

    public FaultSettings Current => _state.Settings;

    /// <summary>Calls refused, dropped or cut by the current faults since start.</summary>
    public long InjectedFailures => Interlocked.Read(ref _injected);

    /// <summary>
    /// Replaces the faults. <paramref name="blockedAddresses"/> are the known addresses of the blocked peers, so
    /// a call to one is cut even before that peer has ever answered this node.
    /// </summary>
    public void Set(FaultSettings settings, IEnumerable<string>? blockedAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var addresses = (blockedAddresses ?? []).Where(a => !string.IsNullOrWhiteSpace(a)).Select(PeerChannelPool.Normalize);
        _state = new State(settings, addresses.ToFrozenSet(StringComparer.OrdinalIgnoreCase));
        _logger.LogWarning("Fault injection on this node's transport: {Faults}", settings);
    }

    /// <summary>Remembers that <paramref name="address"/> answered as <paramref name="id"/>.</summary>
    public void LearnPeer(string address, NodeId id) => _peerIds[PeerChannelPool.Normalize(address)] = id;

    /// <summary>Why a call this node is about to make to <paramref name="address"/> must fail, or null to let it through.</summary>
    public string? CheckOutgoing(string address)
    {
        var state = _state;
        if (state.Settings.IsNone)
        {
            return null;
        }

        var normalized = PeerChannelPool.Normalize(address);
        var reason = state.Settings.Isolated
            ? "this node is isolated"
            : state.BlockedAddresses.Contains(normalized)
              || (_peerIds.TryGetValue(normalized, out var id) && state.Settings.BlockedPeers.Contains(id))
                ? $"the link to {normalized} is cut"
                : Drop(state.Settings.DropRate);
        return Count(reason);
    }

    /// <summary>Why a call from <paramref name="caller"/> (null when it did not say) must be refused, or null.</summary>
    public string? CheckIncoming(NodeId? caller)
    {
        var settings = _state.Settings;
        if (settings.IsNone)
        {
            return null;
        }

        var reason = settings.Isolated
            ? "the callee is isolated"
            : caller is { } id && settings.BlockedPeers.Contains(id)
                ? $"the link from {id.ToShortString()} is cut"
                : Drop(settings.DropRate);
        return Count(reason);
    }

    /// <summary>Whether the peer that answered as <paramref name="id"/> is blocked (for an answer from a peer first met).</summary>
    public bool IsBlocked(NodeId id) => _state.Settings.Isolated || _state.Settings.BlockedPeers.Contains(id);

    /// <summary>Waits the injected latency, if any.</summary>
    public Task DelayAsync(CancellationToken cancellationToken)
    {
        var latency = _state.Settings.LatencyMs;
        return latency <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(latency), _time, cancellationToken);
    }

    private string? Drop(double rate)
    {
        if (rate <= 0)
        {
            return null;
        }

        lock (_randomLock)
        {
            return _random.NextDouble() < rate ? $"dropped (drop rate {rate:0.###})" : null;
        }
    }

    private string? Count(string? reason)
    {
        if (reason is not null)
        {
            Interlocked.Increment(ref _injected);
        }

        return reason;
    }

    private sealed record State(FaultSettings Settings, FrozenSet<string> BlockedAddresses);
}
