using System.Buffers.Binary;

namespace DynamoKad.Storage;

/// <summary>
/// The binary form of versions and storage operations, shared by WAL payloads and SQLite blobs:
/// little-endian fixed-width integers, byte strings prefixed by their u32 length.
/// </summary>
internal static class StorageCodec
{
    public static int VersionsSize(IReadOnlyList<StoredVersion> versions)
    {
        var size = 4;
        for (var i = 0; i < versions.Count; i++)
        {
            size += VersionSize(versions[i]);
        }

        return size;
    }

    public static int VersionSize(StoredVersion version) => 4 + version.Clock.Length + 4 + version.Value.Length + 1;

    public static byte[] EncodeVersions(IReadOnlyList<StoredVersion> versions)
    {
        var bytes = new byte[VersionsSize(versions)];
        var writer = new Writer(bytes);
        writer.Versions(versions);
        return bytes;
    }

    public static IReadOnlyList<StoredVersion> DecodeVersions(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        return reader.Versions();
    }

    /// <summary>Sequential writes into a span sized beforehand.</summary>
    public ref struct Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _offset;

        public readonly int Written => _offset;

        public void Byte(byte value) => _destination[_offset++] = value;

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_destination[_offset..], value);
            _offset += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_destination[_offset..], value);
            _offset += 8;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Int32(value.Length);
            value.CopyTo(_destination[_offset..]);
            _offset += value.Length;
        }

        public void Version(StoredVersion version)
        {
            Bytes(version.Clock);
            Bytes(version.Value);
            Byte(version.Tombstone ? (byte)1 : (byte)0);
        }

        public void Versions(IReadOnlyList<StoredVersion> versions)
        {
            Int32(versions.Count);
            for (var i = 0; i < versions.Count; i++)
            {
                Version(versions[i]);
            }
        }
    }

    /// <summary>Sequential reads; throws <see cref="InvalidDataException"/> on malformed input.</summary>
    public ref struct Reader(ReadOnlySpan<byte> source)
    {
        private readonly ReadOnlySpan<byte> _source = source;
        private int _offset;

        public readonly bool End => _offset == _source.Length;

        public byte Byte()
        {
            Need(1);
            return _source[_offset++];
        }

        public int Int32()
        {
            Need(4);
            var value = BinaryPrimitives.ReadInt32LittleEndian(_source[_offset..]);
            _offset += 4;
            return value;
        }

        public long Int64()
        {
            Need(8);
            var value = BinaryPrimitives.ReadInt64LittleEndian(_source[_offset..]);
            _offset += 8;
            return value;
        }

        public byte[] Bytes()
        {
            var length = Int32();
            if (length < 0)
            {
                throw new InvalidDataException("Negative length in a storage record.");
            }

            Need(length);
            var value = _source.Slice(_offset, length).ToArray();
            _offset += length;
            return value;
        }

        public StoredVersion Version() => new(Bytes(), Bytes(), Byte() != 0);

        public IReadOnlyList<StoredVersion> Versions()
        {
            var count = Int32();
            if (count < 0 || count > _source.Length)
            {
                throw new InvalidDataException($"Impossible version count {count} in a storage record.");
            }

            var versions = new StoredVersion[count];
            for (var i = 0; i < count; i++)
            {
                versions[i] = Version();
            }

            return versions;
        }

        private readonly void Need(int count)
        {
            if (_source.Length - _offset < count)
            {
                throw new InvalidDataException("A storage record ends early.");
            }
        }
    }
}
