namespace DynamoKad.Storage;

/// <summary>A record the write-ahead log frames; written straight into the group-commit buffer.</summary>
internal interface IWalPayload
{
    /// <summary>Encoded size in bytes; at least 1 (a zero length frame marks the end of a segment).</summary>
    int Size { get; }

    /// <summary>Writes exactly <see cref="Size"/> bytes.</summary>
    void WriteTo(Span<byte> destination);
}
