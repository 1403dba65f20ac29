using System.Runtime.CompilerServices;

namespace DynamoKad.Storage;

public sealed partial class StorageEngine
{
    private const int ScanPageSize = 512;

    /// <remarks>
    /// Merges the memtable with SQLite pages in (hash, key) order; the memtable wins for a key in both.
    /// The memtable is snapshotted before SQLite is read: a checkpoint removes an entry only after
    /// committing it, so every key acknowledged before the scan starts is in one or the other.
    /// </remarks>
    public async IAsyncEnumerable<StoredRecord> ScanAsync(
        ReadOnlyMemory<byte> fromHashInclusive,
        ReadOnlyMemory<byte> toHashExclusive,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        var from = fromHashInclusive.ToArray();
        var to = toHashExclusive.ToArray();
        var memory = _memtable.Values
            .Where(w => w.KeyHash.AsSpan().SequenceCompareTo(from) >= 0 && (to.Length == 0 || w.KeyHash.AsSpan().SequenceCompareTo(to) < 0))
            .OrderBy(w => w, Comparer<StorageOp.KeyWrite>.Create((a, b) => Compare(a.KeyHash, a.Key, b.KeyHash, b.Key)))
            .ToList();
        var next = 0;
        byte[]? afterHash = null;
        byte[]? afterKey = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await Task.Run(() => _store.ScanPage(from, afterHash, afterKey, to, ScanPageSize), cancellationToken).ConfigureAwait(false);
            foreach (var row in page)
            {
                while (next < memory.Count && Compare(memory[next].KeyHash, memory[next].Key, row.KeyHash, row.Key) < 0)
                {
                    if (memory[next].Versions.Count > 0)
                    {
                        yield return ToRecord(memory[next]);
                    }

                    next++;
                }

                if (next < memory.Count && Compare(memory[next].KeyHash, memory[next].Key, row.KeyHash, row.Key) == 0)
                {
                    if (memory[next].Versions.Count > 0)
                    {
                        yield return ToRecord(memory[next]);
                    }

                    next++;
                }
                else
                {
                    yield return row;
                }
            }

            if (page.Count < ScanPageSize)
            {
                break;
            }

            afterHash = page[^1].KeyHash;
            afterKey = page[^1].Key;
        }

        for (; next < memory.Count; next++)
        {
            if (memory[next].Versions.Count > 0)
            {
                yield return ToRecord(memory[next]);
            }
        }
    }

    private static StoredRecord ToRecord(StorageOp.KeyWrite write) => new(write.Key, write.KeyHash, write.Versions);

    private static int Compare(byte[] hashA, byte[] keyA, byte[] hashB, byte[] keyB)
    {
        var byHash = hashA.AsSpan().SequenceCompareTo(hashB);
        return byHash != 0 ? byHash : keyA.AsSpan().SequenceCompareTo(keyB);
    }
}
