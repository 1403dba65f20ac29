namespace DynamoKad.Kademlia;

/// <summary>
/// A node as the overlay knows it (Kademlia §2.2: the triple &lt;IP, port, id&gt;, here the gRPC address
/// peers dial and the 160-bit id).
/// </summary>
public readonly record struct Contact(NodeId Id, string Address)
{
    public override string ToString() => $"{Id.ToShortString()}@{Address}";
}
