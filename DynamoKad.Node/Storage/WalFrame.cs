using System.Buffers.Binary;
using System.IO.Hashing;

namespace DynamoKad.Storage;

/// <summary>
/// One framed WAL record: payload length (u32 LE), CRC-32 of LSN and payload (u32 LE), LSN (u64 LE),
/// payload. A zero length is never written, so the zero-filled tail of a preallocated segment reads as
/// its end. LSNs run consecutively across segments, so a stale frame left behind a hole is never
/// mistaken for the next record.
/// </summary>
internal static class WalFrame
{
    public const int HeaderSize = 16;

    /// <summary>No single record is larger (a 1 MiB value plus its key and clock is far below).</summary>
    public const int MaxPayloadSize = 256 * 1024 * 1024;

    /// <summary>Fills the header in front of a payload already written at <c>frame[HeaderSize..]</c>.</summary>
    public static void WriteHeader(Span<byte> frame, int payloadLength, long lsn)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], lsn);
        var crc = Crc32.HashToUInt32(frame.Slice(8, 8 + payloadLength));
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], crc);
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="data"/>. Returns false at the end of the log:
    /// a zero length, a header or payload running past the data, or a CRC mismatch.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out long lsn, out int payloadLength)
    {
        lsn = 0;
        payloadLength = 0;
        if (data.Length < HeaderSize)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (length == 0 || length > MaxPayloadSize || length > (uint)(data.Length - HeaderSize))
        {
            return false;
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (Crc32.HashToUInt32(data.Slice(8, 8 + (int)length)) != crc)
        {
            return false;
        }

        lsn = BinaryPrimitives.ReadInt64LittleEndian(data[8..]);
        payloadLength = (int)length;
        return true;
    }
}
