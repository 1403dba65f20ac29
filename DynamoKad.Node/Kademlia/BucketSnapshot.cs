namespace DynamoKad.Kademlia;

/// <summary>One k-bucket: contacts least recently seen first, the replacement cache, and its last lookup.</summary>
public sealed record BucketSnapshot(
    int Index,
    IReadOnlyList<ContactSnapshot> Contacts,
    IReadOnlyList<Contact> Replacements,
    DateTimeOffset LastLookup);
