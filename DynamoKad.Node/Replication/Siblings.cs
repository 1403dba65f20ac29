using System.Security.Cryptography;
using DynamoKad.Storage;

namespace DynamoKad.Replication;

/// <summary>
/// Sibling reconciliation (Dynamo §4.4): drop every version another one has seen, keep the concurrent
/// rest. Results are in canonical order (by dot) so replicas holding the same versions hash the same.
/// </summary>
public static class Siblings
{
    /// <summary>The versions no other version dominates, each dot once, in canonical order.</summary>
    public static IReadOnlyList<VersionedValue> Reconcile(IEnumerable<VersionedValue> versions)
    {
        var distinct = new List<VersionedValue>();
        foreach (var version in versions)
        {
            if (!distinct.Exists(v => v.Clock.SameDot(version.Clock)))
            {
                distinct.Add(version);
            }
        }

        var kept = distinct
            .Where(v => !distinct.Exists(other => !ReferenceEquals(other, v) && v.Clock.CompareTo(other.Clock) == ClockOrder.Before))
            .ToList();
        kept.Sort(CompareCanonical);
        return kept;
    }

    /// <summary>
    /// Folds <paramref name="incoming"/> into <paramref name="existing"/> (stored form), for
    /// <see cref="IStorageEngine.ApplyAsync"/>: returns <paramref name="existing"/> itself when nothing changes,
    /// so storage writes nothing. Never drops a version that <paramref name="incoming"/> has not seen.
    /// </summary>
    public static IReadOnlyList<StoredVersion> MergeStored(IReadOnlyList<StoredVersion> existing, IEnumerable<VersionedValue> incoming)
    {
        var current = existing.Select(VersionedValue.FromStored).ToList();
        var merged = Reconcile(current.Concat(incoming));
        if (merged.Count == current.Count && merged.All(m => current.Exists(c => c.Clock.SameDot(m.Clock))))
        {
            return existing;
        }

        return [.. merged.Select(v => v.ToStored())];
    }

    /// <summary>The causal context of a read: everything the returned siblings have seen.</summary>
    public static VectorClock MergedClock(IEnumerable<VersionedValue> versions) =>
        versions.Aggregate(VectorClock.Empty, (clock, v) => clock.Merge(v.Clock.ToVectorClock()));

    /// <summary>SHA-256 over the canonical encoding of a key's versions: equal digests, equal versions.</summary>
    public static byte[] Digest(IEnumerable<VersionedValue> versions)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[5];
        foreach (var version in Reconcile(versions))
        {
            var clock = version.Clock.Encode();
            header[0] = version.Tombstone ? (byte)1 : (byte)0;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header[1..], clock.Length);
            hash.AppendData(header);
            hash.AppendData(clock);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header[1..], version.Value.Length);
            hash.AppendData(header[1..]);
            hash.AppendData(version.Value);
        }

        return hash.GetHashAndReset();
    }

    private static int CompareCanonical(VersionedValue a, VersionedValue b)
    {
        var c = a.Clock.Dot.Node.CompareTo(b.Clock.Dot.Node);
        return c != 0 ? c : a.Clock.Dot.Counter.CompareTo(b.Clock.Dot.Counter);
    }
}
