using System.Buffers.Binary;

namespace DynamoKad.Storage;

/// <summary>
/// Which keys SQLite may hold, by the first 64 bits of their SHA-1 (Bitcask's keydir, reduced to a
/// membership test). A write to a key that is in neither the memtable nor here skips the SQLite read
/// on its acknowledgement path. False positives (a 64-bit collision, a key since deleted) only cost
/// that read; there are no false negatives because a key is added before its checkpoint commits.
/// About 24 bytes per key.
/// </summary>
internal sealed class KeyDirectory
{
    private readonly HashSet<ulong> _hashes = [];
    private readonly Lock _gate = new();

    public void Add(ReadOnlySpan<byte> keyHash)
    {
        var prefix = BinaryPrimitives.ReadUInt64BigEndian(keyHash);
        lock (_gate)
        {
            _hashes.Add(prefix);
        }
    }

    public bool MayContain(ReadOnlySpan<byte> keyHash)
    {
        var prefix = BinaryPrimitives.ReadUInt64BigEndian(keyHash);
        lock (_gate)
        {
            return _hashes.Contains(prefix);
        }
    }
}
