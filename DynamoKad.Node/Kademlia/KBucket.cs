namespace DynamoKad.Kademlia;

/// <summary>
/// Kademlia §2.2: one k-bucket, its contacts ordered by when they were last seen (least recently seen
/// first), at most k of them. A newcomer to a full bucket waits in a small replacement cache (§4.1) while
/// the least-recently-seen contact is pinged; that contact is evicted only if the ping fails.
/// Not thread-safe: <see cref="RoutingTable"/> serialises access.
/// </summary>
public sealed class KBucket
{
    private readonly List<Entry> _entries;
    private readonly List<Entry> _replacements;
    private bool _probePending;
    private DateTimeOffset _probeStartedAt;

    public KBucket(int index, int capacity, int replacementCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, NodeId.BitLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Index = index;
        Capacity = capacity;
        ReplacementCapacity = replacementCapacity;
        _entries = new List<Entry>(Math.Min(capacity, 8));
        _replacements = [];
    }

    /// <summary>Contacts at XOR distance [2^Index, 2^(Index+1)) from the owner.</summary>
    public int Index { get; }

    public int Capacity { get; }

    public int ReplacementCapacity { get; }

    public int Count => _entries.Count;

    public bool IsFull => _entries.Count >= Capacity;

    /// <summary>When a lookup last targeted an id in this bucket's range (Kademlia §2.3 refresh).</summary>
    public DateTimeOffset LastLookup { get; set; }

    /// <summary>Contacts, least recently seen first.</summary>
    public IEnumerable<Contact> Contacts => _entries.Select(e => e.Contact);

    public IEnumerable<Contact> Replacements => _replacements.Select(e => e.Contact);

    internal IEnumerable<(Contact Contact, DateTimeOffset LastSeen)> Entries => _entries.Select(e => (e.Contact, e.LastSeen));

    internal void AddContactsTo(List<Contact> destination, NodeId exclude)
    {
        foreach (var entry in _entries)
        {
            if (entry.Contact.Id != exclude)
            {
                destination.Add(entry.Contact);
            }
        }
    }

    public bool Contains(NodeId id) => IndexOf(_entries, id) >= 0;

    /// <summary>
    /// Records that <paramref name="contact"/> is alive. Returns the least-recently-seen contact when the
    /// caller must ping it to decide whether the newcomer (now in the replacement cache) gets its place.
    /// </summary>
    public Contact? Observe(Contact contact, DateTimeOffset now, TimeSpan staleAfter)
    {
        var i = IndexOf(_entries, contact.Id);
        if (i >= 0)
        {
            // Known: move to the tail (most recently seen), taking its current address.
            _entries.RemoveAt(i);
            _entries.Add(new Entry(contact, now));
            return null;
        }

        if (!IsFull)
        {
            RemoveFrom(_replacements, contact.Id);
            _entries.Add(new Entry(contact, now));
            return null;
        }

        RemoveFrom(_replacements, contact.Id);
        _replacements.Add(new Entry(contact, now));
        if (_replacements.Count > ReplacementCapacity)
        {
            _replacements.RemoveAt(0);
        }

        var leastRecent = _entries[0];
        if (_probePending || now - leastRecent.LastSeen < staleAfter)
        {
            return null;
        }

        _probePending = true;
        _probeStartedAt = now;
        return leastRecent.Contact;
    }

    /// <summary>The outcome of the ping <see cref="Observe"/> asked for: keep the contact, or evict it for the newest replacement.</summary>
    public void CompleteProbe(Contact probed, bool answered, DateTimeOffset now)
    {
        _probePending = false;
        if (answered)
        {
            var i = IndexOf(_entries, probed.Id);
            if (i >= 0)
            {
                _entries.RemoveAt(i);
                _entries.Add(new Entry(probed, now));
            }
        }
        else
        {
            RemoveUnlessHeardSince(probed.Id, _probeStartedAt);
        }
    }

    /// <summary>
    /// An RPC sent to <paramref name="id"/> at <paramref name="askedAt"/> failed: removes it as <see cref="Remove"/>
    /// does, unless it was heard from after the RPC went out (it is alive, whatever became of that RPC). Returns
    /// whether it was removed.
    /// </summary>
    public bool RemoveUnlessHeardSince(NodeId id, DateTimeOffset askedAt)
    {
        var i = IndexOf(_entries, id);
        if (i >= 0 && _entries[i].LastSeen > askedAt)
        {
            return false;
        }

        i = IndexOf(_replacements, id);
        return (i < 0 || _replacements[i].LastSeen <= askedAt) && Remove(id);
    }

    /// <summary>
    /// Removes a contact that failed to answer and promotes the most recently seen replacement
    /// (Kademlia §4.1). Returns whether the contact was in the bucket or its replacement cache.
    /// </summary>
    public bool Remove(NodeId id)
    {
        var removedReplacement = RemoveFrom(_replacements, id);
        if (!RemoveFrom(_entries, id))
        {
            return removedReplacement;
        }

        if (_replacements.Count > 0)
        {
            var promoted = _replacements[^1];
            _replacements.RemoveAt(_replacements.Count - 1);
            // Its last-seen time keeps the LRU order honest: it was heard from then, not now.
            var at = _entries.FindIndex(e => e.LastSeen > promoted.LastSeen);
            _entries.Insert(at < 0 ? _entries.Count : at, promoted);
        }

        return true;
    }

    private static int IndexOf(List<Entry> list, NodeId id)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Contact.Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool RemoveFrom(List<Entry> list, NodeId id)
    {
        var i = IndexOf(list, id);
        if (i < 0)
        {
            return false;
        }

        list.RemoveAt(i);
        return true;
    }

    private readonly record struct Entry(Contact Contact, DateTimeOffset LastSeen);
}
