namespace DynamoKad.Kademlia;

/// <summary>A point-in-time copy of a <see cref="RoutingTable"/>: non-empty buckets, lowest index first.</summary>
public sealed record RoutingTableSnapshot(NodeId Self, int K, IReadOnlyList<BucketSnapshot> Buckets)
{
    public int ContactCount => Buckets.Sum(b => b.Contacts.Count);
}
