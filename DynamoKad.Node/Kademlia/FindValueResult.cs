namespace DynamoKad.Kademlia;

/// <summary>
/// A FIND_VALUE answer (Kademlia §2.3): either the record (<see cref="Value"/> non-null, with its remaining
/// time to live) or the responder's closest contacts to the key.
/// </summary>
public sealed record FindValueResult(byte[]? Value, TimeSpan Ttl, IReadOnlyList<Contact> Closest)
{
    public bool Found => Value is not null;
}
