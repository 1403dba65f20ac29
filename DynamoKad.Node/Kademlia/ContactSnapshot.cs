namespace DynamoKad.Kademlia;

/// <summary>A contact in a bucket and when it was last heard from.</summary>
public sealed record ContactSnapshot(Contact Contact, DateTimeOffset LastSeen);
