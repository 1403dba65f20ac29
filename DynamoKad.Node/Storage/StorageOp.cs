using System.Security.Cryptography;

namespace DynamoKad.Storage;

/// <summary>
/// One change the engine logs: a key's new set of versions, a hint stored, or a hint removed. The same
/// object is the WAL payload, the memtable entry (for key writes) and the unit the checkpoint moves
/// into SQLite.
/// </summary>
internal abstract class StorageOp : IWalPayload
{
    private const byte KeyWriteType = 1;
    private const byte HintPutType = 2;
    private const byte HintRemoveType = 3;

    /// <summary>Assigned by the WAL when the op is appended.</summary>
    public long Lsn { get; set; }

    public abstract int Size { get; }

    public abstract void WriteTo(Span<byte> destination);

    public static StorageOp Decode(ReadOnlySpan<byte> payload, long lsn)
    {
        var reader = new StorageCodec.Reader(payload);
        StorageOp op = reader.Byte() switch
        {
            KeyWriteType => KeyWrite.Read(ref reader),
            HintPutType => HintPut.Read(ref reader),
            HintRemoveType => new HintRemove(reader.Int64()),
            var type => throw new InvalidDataException($"Unknown storage record type {type} at LSN {lsn}."),
        };
        if (!reader.End)
        {
            throw new InvalidDataException($"Trailing bytes in the storage record at LSN {lsn}.");
        }

        op.Lsn = lsn;
        return op;
    }

    /// <summary>The key now holds <see cref="Versions"/> (none: the key is gone).</summary>
    public sealed class KeyWrite(byte[] key, byte[] keyHash, IReadOnlyList<StoredVersion> versions) : StorageOp
    {
        public byte[] Key { get; } = key;

        public byte[] KeyHash { get; } = keyHash;

        public IReadOnlyList<StoredVersion> Versions { get; } = versions;

        public override int Size => 1 + 4 + Key.Length + StorageCodec.VersionsSize(Versions);

        public static KeyWrite Read(ref StorageCodec.Reader reader)
        {
            var key = reader.Bytes();
            return new KeyWrite(key, SHA1.HashData(key), reader.Versions());
        }

        public override void WriteTo(Span<byte> destination)
        {
            var writer = new StorageCodec.Writer(destination);
            writer.Byte(KeyWriteType);
            writer.Bytes(Key);
            writer.Versions(Versions);
        }
    }

    public sealed class HintPut(HintRecord hint) : StorageOp
    {
        public HintRecord Hint { get; } = hint;

        public override int Size => 1 + 8 + 8 + 4 + Hint.Target.Length + 4 + Hint.Key.Length + StorageCodec.VersionSize(Hint.Version);

        public static HintPut Read(ref StorageCodec.Reader reader)
        {
            var id = reader.Int64();
            var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
            var target = reader.Bytes();
            var key = reader.Bytes();
            return new HintPut(new HintRecord(id, target, key, reader.Version(), createdAt));
        }

        public override void WriteTo(Span<byte> destination)
        {
            var writer = new StorageCodec.Writer(destination);
            writer.Byte(HintPutType);
            writer.Int64(Hint.Id);
            writer.Int64(Hint.CreatedAt.ToUnixTimeMilliseconds());
            writer.Bytes(Hint.Target);
            writer.Bytes(Hint.Key);
            writer.Version(Hint.Version);
        }
    }

    public sealed class HintRemove(long id) : StorageOp
    {
        public long Id { get; } = id;

        public override int Size => 1 + 8;

        public override void WriteTo(Span<byte> destination)
        {
            var writer = new StorageCodec.Writer(destination);
            writer.Byte(HintRemoveType);
            writer.Int64(Id);
        }
    }
}
