namespace DynamoKad.Kademlia;

/// <summary>
/// The network seam of the overlay: the four RPCs of Kademlia §2.3. Every request carries the sender's
/// contact so the receiver can update its routing table (§2.2). A null result means the peer did not
/// answer in time (lost, down, or past the RPC deadline); implementations never throw for that.
/// Implemented over gRPC (<see cref="Transport.GrpcKademliaNetwork"/>) and in memory for simulation
/// (<see cref="InMemoryKademliaNetwork"/>).
/// </summary>
public interface IKademliaNetwork
{
    /// <summary>PING a node known only by address (a seed); returns its contact, so its id is learnt.</summary>
    ValueTask<Contact?> PingAsync(Contact sender, string address, CancellationToken cancellationToken);

    /// <summary>FIND_NODE: the recipient's k closest contacts to <paramref name="target"/>.</summary>
    ValueTask<IReadOnlyList<Contact>?> FindNodeAsync(Contact sender, Contact recipient, NodeId target, CancellationToken cancellationToken);

    /// <summary>STORE: asks the recipient to keep a DHT record for <paramref name="ttl"/>; true when stored.</summary>
    ValueTask<bool?> StoreAsync(Contact sender, Contact recipient, NodeId key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>FIND_VALUE: the record if the recipient holds it, its k closest contacts otherwise.</summary>
    ValueTask<FindValueResult?> FindValueAsync(Contact sender, Contact recipient, NodeId key, CancellationToken cancellationToken);
}
