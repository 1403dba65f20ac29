using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DynamoKad.Kademlia;

/// <summary>
/// The Kademlia protocol engine of one node: answers the four RPCs (for the gRPC service and the
/// in-memory network alike), runs iterative lookups, joins through seeds and keeps the routing table
/// and the small DHT record store fresh. Every RPC in or out updates the table (Kademlia §2.2).
/// </summary>
public sealed partial class KademliaNode
{
    /// <summary>The largest DHT record accepted: these are small cluster records, not user data.</summary>
    public const int MaxRecordBytes = 64 * 1024;

    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly Action<Func<Task>> _runInBackground;
    private readonly ILogger _logger;

    /// <param name="self">This node's id and the address peers dial.</param>
    /// <param name="network">How RPCs reach other nodes.</param>
    /// <param name="options">k, alpha, timeouts and intervals (already validated).</param>
    /// <param name="time">The clock of every timeout, refresh and expiry.</param>
    /// <param name="random">The source of refresh ids: seeded in simulation.</param>
    /// <param name="runInBackground">
    /// Runs the pings a full bucket asks for without holding up the RPC that caused them. Defaults to the
    /// thread pool; the simulator queues them and drains the queue itself, so runs replay exactly.
    /// </param>
    public KademliaNode(
        Contact self,
        IKademliaNetwork network,
        KademliaOptions options,
        TimeProvider time,
        Random? random = null,
        ILogger<KademliaNode>? logger = null,
        Action<Func<Task>>? runInBackground = null)
    {
        Self = self;
        Network = network;
        Options = options;
        Time = time;
        _random = random ?? new Random();
        _logger = logger ?? NullLogger<KademliaNode>.Instance;
        _runInBackground = runInBackground ?? (work => _ = Task.Run(work));
        RoutingTable = new RoutingTable(self.Id, options.K, time, options.StaleContactAfter);
        Records = new DhtRecordStore(time);
    }

    /// <summary>This node as peers know it.</summary>
    public Contact Self { get; }

    /// <summary>The k-buckets. <see cref="RoutingTable.Closest"/> never includes <see cref="Self"/>.</summary>
    public RoutingTable RoutingTable { get; }

    /// <summary>DHT records held by this node (STORE / FIND_VALUE).</summary>
    public DhtRecordStore Records { get; }

    public KademliaOptions Options { get; }

    internal IKademliaNetwork Network { get; }

    internal TimeProvider Time { get; }

    /// <summary>
    /// Records that <paramref name="contact"/> is alive (call it whenever a peer answers or calls). When
    /// its bucket is full and the least-recently-seen contact has gone quiet, that contact is pinged in
    /// the background and evicted only if it does not answer (Kademlia §2.2).
    /// </summary>
    public void Observe(Contact contact)
    {
        if (contact.Id == Self.Id || string.IsNullOrEmpty(contact.Address))
        {
            return;
        }

        if (RoutingTable.Observe(contact) is { } probe)
        {
            _runInBackground(() => ProbeAsync(probe));
        }
    }

    /// <summary>A peer failed to answer: drop it from the table (it returns when next heard from).</summary>
    public void MarkFailed(NodeId id) => RoutingTable.MarkFailed(id);

    /// <summary>
    /// Iterative FIND_NODE (Kademlia §2.3): the k closest live nodes to <paramref name="target"/>, closest
    /// first, including this node itself when it is one of them. Every returned contact answered.
    /// </summary>
    public async Task<IReadOnlyList<Contact>> LookupAsync(NodeId target, CancellationToken cancellationToken) =>
        (await LookupWithStatsAsync(target, cancellationToken)).Closest;

    /// <summary><see cref="LookupAsync"/> with its cost: rounds, RPCs and failures.</summary>
    public Task<LookupResult> LookupWithStatsAsync(NodeId target, CancellationToken cancellationToken) =>
        new NodeLookup(this, target, findValue: false).RunAsync(cancellationToken);

    /// <summary>PING: answers with this node's contact.</summary>
    public Contact HandlePing(Contact sender)
    {
        Observe(sender);
        return Self;
    }

    /// <summary>FIND_NODE: this node's k closest contacts to <paramref name="target"/>, never the sender itself.</summary>
    public IReadOnlyList<Contact> HandleFindNode(Contact sender, NodeId target)
    {
        Observe(sender);
        return RoutingTable.Closest(target, Options.K, sender.Id);
    }

    /// <summary>STORE: keeps the record for <paramref name="ttl"/> (capped by <see cref="KademliaOptions.RecordTtl"/>).</summary>
    public bool HandleStore(Contact sender, NodeId key, byte[] value, TimeSpan ttl)
    {
        Observe(sender);
        if (value.Length > MaxRecordBytes || ttl <= TimeSpan.Zero)
        {
            return false;
        }

        Records.Put(key, value, ttl > Options.RecordTtl ? Options.RecordTtl : ttl);
        return true;
    }

    /// <summary>FIND_VALUE: the record when held here, else the k closest contacts to the key.</summary>
    public FindValueResult HandleFindValue(Contact sender, NodeId key)
    {
        Observe(sender);
        return Records.TryGet(key, out var value, out var ttl)
            ? new FindValueResult(value, ttl, [])
            : new FindValueResult(null, TimeSpan.Zero, RoutingTable.Closest(key, Options.K, sender.Id));
    }

    internal NodeId RandomIdInBucket(int index)
    {
        lock (_randomLock)
        {
            return RoutingTable.RandomIdInBucket(Self.Id, index, _random);
        }
    }

    private async Task ProbeAsync(Contact probe)
    {
        Contact? answer = null;
        try
        {
            answer = await Network.PingAsync(Self, probe.Address, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug(ex, "Ping of least-recently-seen contact {Contact} failed", probe);
        }

        RoutingTable.CompleteProbe(probe, answered: answer is { } a && a.Id == probe.Id);
    }
}
