using System.IO.Hashing;
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
        var distinct = new List<VersionedValue>(versions is IReadOnlyCollection<VersionedValue> c ? c.Count : 4);
        foreach (var version in versions)
        {
            if (!ContainsDot(distinct, version.Clock))
            {
                distinct.Add(version);
            }
        }

        if (distinct.Count <= 1)
        {
            return distinct;
        }

        var kept = new List<VersionedValue>(distinct.Count);
        foreach (var version in distinct)
        {
            if (!IsDominated(version, distinct))
            {
                kept.Add(version);
            }
        }

        kept.Sort(CompareCanonical);
        return kept;
    }

    private static bool IsStored(VersionedValue version, List<VersionedValue> all, int stored)
    {
        for (var i = 0; i < stored; i++)
        {
            if (ReferenceEquals(all[i], version))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsDot(List<VersionedValue> versions, VersionClock clock)
    {
        foreach (var version in versions)
        {
            if (version.Clock.SameDot(clock))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDominated(VersionedValue version, List<VersionedValue> all)
    {
        foreach (var other in all)
        {
            if (!ReferenceEquals(other, version) && version.Clock.CompareTo(other.Clock) == ClockOrder.Before)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Folds <paramref name="incoming"/> into <paramref name="existing"/> (stored form), for
    /// <see cref="IStorageEngine.ApplyAsync"/>: returns <paramref name="existing"/> itself when nothing changes,
    /// so storage writes nothing. Never drops a version that <paramref name="incoming"/> has not seen.
    /// </summary>
    public static IReadOnlyList<StoredVersion> MergeStored(IReadOnlyList<StoredVersion> existing, IReadOnlyList<VersionedValue> incoming)
    {
        if (existing.Count == 0 && incoming.Count == 1)
        {
            return [incoming[0].ToStored()];
        }

        // The common replica write: one stored version, replaced by one that has seen it. Decided from the stored
        // clock's bytes, as Reconcile would decide it, without decoding them.
        if (existing.Count == 1 && incoming.Count == 1 && incoming[0].Clock.Supersedes(existing[0].Clock) == true)
        {
            return [incoming[0].ToStored()];
        }

        var all = new List<VersionedValue>(existing.Count + incoming.Count);
        foreach (var stored in existing)
        {
            all.Add(VersionedValue.FromStored(stored));
        }

        var current = all.Count;
        all.AddRange(incoming);
        var merged = Reconcile(all);
        if (merged.Count == current)
        {
            // Reconcile keeps the first of equal dots, so a version still stored is the very object decoded above.
            var unchanged = true;
            foreach (var version in merged)
            {
                unchanged &= IsStored(version, all, current);
            }

            if (unchanged)
            {
                return existing;
            }
        }

        var result = new StoredVersion[merged.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = merged[i].ToStored();
        }

        return result;
    }

    /// <summary>The causal context of a read: everything the returned siblings have seen.</summary>
    public static VectorClock MergedClock(IReadOnlyList<VersionedValue> versions)
    {
        var clock = VectorClock.Empty;
        for (var i = 0; i < versions.Count; i++)
        {
            clock = clock.Merge(versions[i].Clock.ToVectorClock());
        }

        return clock;
    }

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

    /// <summary>
    /// A 128-bit digest of a stored sibling set, for anti-entropy (<see cref="ReplicaIndex"/>, leaf digests): the sum
    /// over the versions of an XxHash128 of each one's tombstone flag, clock and value. A sum, so the order versions
    /// are stored in does not matter; XxHash128, not <see cref="Digest"/>'s SHA-256, because it only has to tell
    /// replicas' sets apart, on every write. Equal sets, equal digests; 0 for none. Allocates nothing.
    /// </summary>
    public static UInt128 StoredDigest(IReadOnlyList<StoredVersion> versions)
    {
        var digest = UInt128.Zero;
        Span<byte> parts = stackalloc byte[(2 * 16) + 1];
        for (var i = 0; i < versions.Count; i++)
        {
            var version = versions[i];
            XxHash128.Hash(version.Clock, parts[..16]);
            XxHash128.Hash(version.Value, parts[16..32]);
            parts[32] = version.Tombstone ? (byte)1 : (byte)0;
            digest += XxHash128.HashToUInt128(parts);
        }

        return digest;
    }

    /// <summary>The newest dot timestamp (Unix ms) among stored versions, read without decoding (<see cref="VersionClock.ReadDotTimestampMs"/>).</summary>
    public static long NewestDotMs(IReadOnlyList<StoredVersion> versions)
    {
        var newest = long.MinValue;
        for (var i = 0; i < versions.Count; i++)
        {
            newest = Math.Max(newest, VersionClock.ReadDotTimestampMs(versions[i].Clock));
        }

        return newest;
    }

    /// <summary>Whether there is at least one version and every one is a tombstone.</summary>
    public static bool AllTombstones(IReadOnlyList<StoredVersion> versions)
    {
        for (var i = 0; i < versions.Count; i++)
        {
            if (!versions[i].Tombstone)
            {
                return false;
            }
        }

        return versions.Count > 0;
    }

    private static int CompareCanonical(VersionedValue a, VersionedValue b)
    {
        var c = a.Clock.Dot.Node.CompareTo(b.Clock.Dot.Node);
        return c != 0 ? c : a.Clock.Dot.Counter.CompareTo(b.Clock.Dot.Counter);
    }
}
