using System.Text;
using DynamoKad.Kademlia;

namespace DynamoKad.Http;

/// <summary>The JSON bodies of the HTTP API (camelCase on the wire).</summary>
public static class KeyValueJson
{
    /// <summary>Siblings: values written concurrently that the context also covers (usually none).</summary>
    public sealed record PutResponse(string Context, IReadOnlyList<Sibling> Siblings);

    public sealed record DeleteResponse(int Acks);

    public sealed record GetResponse(string Key, string Context, IReadOnlyList<Sibling> Siblings);

    /// <summary>One concurrent version: its bytes (base64), the same as UTF-8 text when they are, and its vector clock.</summary>
    public sealed record Sibling(string Value, string? Text, IReadOnlyDictionary<string, ulong> Clock);

    public sealed record ReplicaInspection(string Key, string KeyId, IReadOnlyList<Replica> Replicas, IReadOnlyList<Hint> Hints);

    public sealed record Replica(string NodeId, string Address, bool Preferred, bool Reachable, string? Error, IReadOnlyList<Version> Versions);

    public sealed record Version(string Value, string? Text, bool Tombstone, IReadOnlyDictionary<string, ulong> Clock);

    public sealed record Hint(string Holder, string Target, Version Version);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value as text when it is valid UTF-8, else null.</summary>
    public static string? TextOf(ReadOnlySpan<byte> value)
    {
        try
        {
            return StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public static IReadOnlyDictionary<string, ulong> ClockOf(Protos.V1.VectorClock? clock)
    {
        var result = new SortedDictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var entry in clock?.Entries ?? [])
        {
            var node = NodeId.TryFromBytes(entry.NodeId.Span, out var id) ? id.ToString() : Convert.ToHexStringLower(entry.NodeId.Span);
            result[node] = entry.Counter;
        }

        return result;
    }

    public static Version VersionOf(Protos.V1.VersionView view) =>
        new(Convert.ToBase64String(view.Value.Span), TextOf(view.Value.Span), view.Tombstone, ClockOf(view.Clock));
}
