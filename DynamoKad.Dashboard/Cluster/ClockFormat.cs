using System.Text;
using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>Vector clocks and values as a person reads them.</summary>
public static class ClockFormat
{
    /// <summary>"a1b2c3d4:2, 0f9e8d7c:1": each coordinator's id prefix and counter, in id order.</summary>
    public static string Format(VectorClock? clock) =>
        clock is null || clock.Entries.Count == 0
            ? "∅"
            : string.Join(", ", clock.Entries
                .Select(e => (Id: Convert.ToHexStringLower(e.NodeId.Span), e.Counter))
                .OrderBy(e => e.Id, StringComparer.Ordinal)
                .Select(e => $"{e.Id[..Math.Min(8, e.Id.Length)]}:{e.Counter}"));

    /// <summary>The value as UTF-8 text, or a byte count when it is not text.</summary>
    public static string Text(Google.Protobuf.ByteString value)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value.Span);
        }
        catch (DecoderFallbackException)
        {
            return $"<{value.Length} bytes>";
        }
    }

    public static string ShortId(string? id) => id is { Length: > 8 } ? id[..8] : id ?? "?";
}
