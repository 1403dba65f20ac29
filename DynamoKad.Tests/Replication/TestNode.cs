using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>One node's replication stack, wired by hand over a given network and an in-memory storage engine.</summary>
internal sealed class TestNode
{
    public TestNode(ReplicaPeer peer, IReadOnlyList<ReplicaPeer> members, IReplicaNetwork network, ReplicationOptions options, TimeProvider time, InMemoryStorageEngine? storage = null)
    {
        Peer = peer;
        Storage = storage ?? new InMemoryStorageEngine();
        Placement = new StaticReplicaPlacement(peer.Id, members);
        var wrapped = Options.Create(options);
        Metrics = new ReplicationMetrics();
        Replica = new LocalReplica(Storage, Placement, wrapped, time);
        Coordinator = new QuorumCoordinator(Placement, network, Replica, Codec, wrapped, Metrics, time, NullLogger<QuorumCoordinator>.Instance);
        Handoff = new HintedHandoff(Storage, Placement, network, Replica, wrapped, Metrics, time, NullLogger<HintedHandoff>.Instance);
        AntiEntropy = new AntiEntropy(Placement, network, Replica, wrapped, Metrics, time, NullLogger<AntiEntropy>.Instance);
    }

    /// <summary>Every node of a test cluster shares one secret, as a real cluster does.</summary>
    public static CausalContextCodec Codec { get; } = new("test-cluster-secret");

    public NodeId Id => Peer.Id;

    public ReplicaPeer Peer { get; }

    public InMemoryStorageEngine Storage { get; }

    public StaticReplicaPlacement Placement { get; }

    public ReplicationMetrics Metrics { get; }

    public LocalReplica Replica { get; }

    public QuorumCoordinator Coordinator { get; }

    public HintedHandoff Handoff { get; }

    public AntiEntropy AntiEntropy { get; }

    public async Task<IReadOnlyList<VersionedValue>> LocalVersionsAsync(byte[] key) => await Replica.ReadAsync(key, CancellationToken.None);

    public async Task<IReadOnlyList<HintRecord>> HintsAsync() => await Storage.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, int.MaxValue);

    public override string ToString() => Id.ToShortString();
}
