namespace DynamoKad.Kademlia;

/// <summary>STORE / FIND_VALUE over the overlay: the small DHT record store (Kademlia §2.3, §2.5).</summary>
public sealed partial class KademliaNode
{
    /// <summary>
    /// Publishes a record: finds the k closest nodes to <paramref name="key"/> and STOREs it on each
    /// (locally when this node is one of them). The record is republished every
    /// <see cref="KademliaOptions.RepublishInterval"/> until its time to live ends (§2.5).
    /// Returns the lookup and how many nodes stored it.
    /// </summary>
    public async Task<(LookupResult Lookup, int Stored)> StoreValueAsync(NodeId key, byte[] value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, MaxRecordBytes);
        var lifetime = ttl is { } t && t > TimeSpan.Zero && t < Options.RecordTtl ? t : Options.RecordTtl;
        Records.RememberPublished(key, value, lifetime);
        var lookup = await LookupWithStatsAsync(key, cancellationToken);
        return (lookup, await StoreOnAsync(lookup.Closest, key, value, lifetime, cancellationToken));
    }

    /// <summary>Iterative FIND_VALUE: stops at the first node holding the record; <see cref="LookupResult.Value"/> is null if none does.</summary>
    public Task<LookupResult> FindValueAsync(NodeId key, CancellationToken cancellationToken) =>
        new NodeLookup(this, key, findValue: true).RunAsync(cancellationToken);

    /// <summary>Kademlia §2.5: re-stores every live record this node published. Returns how many.</summary>
    public async Task<int> RepublishAsync(CancellationToken cancellationToken)
    {
        Records.RemoveExpired();
        var published = Records.PublishedRecords();
        foreach (var (key, value, ttl) in published)
        {
            var lookup = await LookupWithStatsAsync(key, cancellationToken);
            await StoreOnAsync(lookup.Closest, key, value, ttl, cancellationToken);
        }

        return published.Count;
    }

    private async Task<int> StoreOnAsync(IReadOnlyList<Contact> targets, NodeId key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var calls = new List<ValueTask<bool?>>(targets.Count);
        var stored = 0;
        foreach (var target in targets)
        {
            if (target.Id == Self.Id)
            {
                Records.Put(key, value, ttl);
                stored++;
            }
            else
            {
                calls.Add(Network.StoreAsync(Self, target, key, value, ttl, cancellationToken));
            }
        }

        foreach (var call in calls)
        {
            if (await call == true)
            {
                stored++;
            }
        }

        return stored;
    }
}
