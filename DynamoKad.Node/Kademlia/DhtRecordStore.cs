namespace DynamoKad.Kademlia;

/// <summary>
/// Kademlia §2.5: the small key/value records this node holds for the DHT, each with an expiry. Records
/// this node published itself are remembered apart so it can republish them before they expire.
/// Thread-safe.
/// </summary>
public sealed class DhtRecordStore
{
    private readonly Dictionary<NodeId, Record> _records = [];
    private readonly Dictionary<NodeId, Published> _published = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    public DhtRecordStore(TimeProvider time)
    {
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public void Put(NodeId key, byte[] value, TimeSpan ttl)
    {
        lock (_lock)
        {
            _records[key] = new Record(value, _time.GetUtcNow() + ttl);
        }
    }

    /// <summary>The record and its remaining time to live, or false if absent or expired.</summary>
    public bool TryGet(NodeId key, out byte[] value, out TimeSpan ttl)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_records.TryGetValue(key, out var record))
            {
                if (record.ExpiresAt > now)
                {
                    value = record.Value;
                    ttl = record.ExpiresAt - now;
                    return true;
                }

                _records.Remove(key);
            }
        }

        value = [];
        ttl = TimeSpan.Zero;
        return false;
    }

    /// <summary>Drops expired records; returns how many.</summary>
    public int RemoveExpired()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var expired = _records.Where(r => r.Value.ExpiresAt <= now).Select(r => r.Key).ToList();
            expired.ForEach(k => _records.Remove(k));
            foreach (var key in _published.Where(p => p.Value.ExpiresAt <= now).Select(p => p.Key).ToList())
            {
                _published.Remove(key);
            }

            return expired.Count;
        }
    }

    internal void RememberPublished(NodeId key, byte[] value, TimeSpan ttl)
    {
        lock (_lock)
        {
            _published[key] = new Published(value, _time.GetUtcNow() + ttl);
        }
    }

    /// <summary>Records this node published and that are still live, with their remaining time to live.</summary>
    internal List<(NodeId Key, byte[] Value, TimeSpan Ttl)> PublishedRecords()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return [.. _published.Where(p => p.Value.ExpiresAt > now).Select(p => (p.Key, p.Value.Value, p.Value.ExpiresAt - now))];
        }
    }

    private readonly record struct Record(byte[] Value, DateTimeOffset ExpiresAt);

    private readonly record struct Published(byte[] Value, DateTimeOffset ExpiresAt);
}
