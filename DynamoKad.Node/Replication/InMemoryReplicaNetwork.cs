using System.Collections.Concurrent;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// Replica calls between nodes of one process, with deterministic faults: nodes that are down, partitions
/// that cut pairs of nodes apart, and a seeded drop rate. A failed call fails at once (as if its deadline
/// had passed) so a simulation never waits on a clock. <see cref="ForNode"/> gives each node its view.
/// </summary>
public sealed class InMemoryReplicaNetwork
{
    private readonly ConcurrentDictionary<NodeId, LocalReplica> _replicas = new();
    private readonly ConcurrentDictionary<NodeId, QuorumCoordinator> _coordinators = new();
    private readonly ConcurrentDictionary<NodeId, byte> _down = new();
    private readonly ConcurrentDictionary<(NodeId, NodeId), byte> _cut = new();
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private double _dropRate;
    private long _calls;

    public InMemoryReplicaNetwork(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
    }

    public int Seed { get; }

    /// <summary>Calls that reached a replica.</summary>
    public long DeliveredCalls => Interlocked.Read(ref _calls);

    public void Register(LocalReplica replica) => _replicas[replica.Self] = replica;

    /// <summary>Lets other nodes forward writes to this node's coordinator.</summary>
    public void Register(QuorumCoordinator coordinator) => _coordinators[coordinator.Self] = coordinator;

    public IReplicaNetwork ForNode(NodeId self) => new View(this, self);

    public void Kill(NodeId node) => _down[node] = 0;

    public void Revive(NodeId node) => _down.TryRemove(node, out _);

    public bool IsDown(NodeId node) => _down.ContainsKey(node);

    /// <summary>Cuts every link between the two groups, both ways.</summary>
    public void Partition(IEnumerable<NodeId> sideA, IEnumerable<NodeId> sideB)
    {
        var b = sideB.ToList();
        foreach (var x in sideA)
        {
            foreach (var y in b)
            {
                _cut[(x, y)] = 0;
                _cut[(y, x)] = 0;
            }
        }
    }

    public void Heal() => _cut.Clear();

    /// <summary>Fraction of calls dropped, decided by the seeded random source.</summary>
    public void SetDropRate(double rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rate, 1.0);
        _dropRate = rate;
    }

    private LocalReplica Route(NodeId from, ReplicaPeer target, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_down.ContainsKey(from) || _down.ContainsKey(target.Id))
        {
            throw new ReplicaUnavailableException(target.Id, "node is down");
        }

        if (_cut.ContainsKey((from, target.Id)))
        {
            throw new ReplicaUnavailableException(target.Id, "partitioned");
        }

        if (_dropRate > 0)
        {
            bool drop;
            lock (_randomLock)
            {
                drop = _random.NextDouble() < _dropRate;
            }

            if (drop)
            {
                throw new ReplicaUnavailableException(target.Id, $"call dropped (seed {Seed})");
            }
        }

        if (!_replicas.TryGetValue(target.Id, out var replica))
        {
            throw new ReplicaUnavailableException(target.Id, "no such node");
        }

        Interlocked.Increment(ref _calls);
        return replica;
    }

    private sealed class View(InMemoryReplicaNetwork network, NodeId self) : IReplicaNetwork
    {
        public Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).WriteAsync(key, versions, hintFor, cancellationToken);

        public Task<CoordinatedWrite> CoordinateAsync(ReplicaPeer target, ForwardedWrite write, TimeSpan timeout, CancellationToken cancellationToken)
        {
            network.Route(self, target, cancellationToken);
            return network._coordinators.TryGetValue(target.Id, out var coordinator)
                ? coordinator.CoordinateForwardedAsync(write, cancellationToken)
                : throw new ReplicaUnavailableException(target.Id, "no coordinator on that node");
        }

        public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).ReadAsync(key, cancellationToken);

        public Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(ReplicaPeer target, NodeId requester, int level, IReadOnlyList<int> indices, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).GetMerkleHashesAsync(requester, level, indices, cancellationToken);

        public Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(ReplicaPeer target, NodeId requester, IReadOnlyList<int> leaves, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).GetLeafDigestsAsync(requester, leaves, cancellationToken);

        public Task<IReadOnlyList<KeyVersions>> SyncKeysAsync(ReplicaPeer target, IReadOnlyList<KeyVersions> keys, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).SyncKeysAsync(keys, cancellationToken);

        public Task<bool> ReapAsync(ReplicaPeer target, byte[] key, VectorClock clock, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.Route(self, target, cancellationToken).ReapAsync(key, clock, cancellationToken);
    }
}
