using DynamoKad.Storage;

namespace DynamoKad.Replication;

public sealed partial class ReplicaIndex
{
    [Flags]
    private enum EntryFlags : byte
    {
        None = 0,
        TombstonesOnly = 1,

        // Newer than the settle time at its last change: left out of the leaves until it settles.
        Young = 2,

        // In the stripe's settle queue (at least once).
        Queued = 4,

        // Outside its own preference list under the stripe's view.
        Stray = 8,

        // Removed before the start-up scan finished: a marker, not a key.
        Removed = 16,
    }

    /// <summary>
    /// One key, in 24 bytes: the digest as two words (a UInt128 field would align the entry to 16 bytes) and the newest
    /// dot timestamp in the low 56 bits of a third word, under the flags. 2^56 ms is two million years, so a clock from
    /// the far future is only clamped to one that never settles either.
    /// </summary>
    private struct Entry
    {
        private const int FlagsShift = 56;
        private const long MaxMs = (1L << FlagsShift) - 1;

        public ulong DigestHigh;
        public ulong DigestLow;
        private ulong _packed;

        public readonly UInt128 Digest => new(DigestHigh, DigestLow);

        public readonly long NewestMs => (long)(_packed & MaxMs);

        public EntryFlags Flags
        {
            readonly get => (EntryFlags)(_packed >> FlagsShift);
            set => _packed = (_packed & MaxMs) | ((ulong)value << FlagsShift);
        }

        public static Entry Of(IReadOnlyList<StoredVersion> stored)
        {
            var digest = Siblings.StoredDigest(stored);
            var entry = new Entry
            {
                DigestHigh = (ulong)(digest >> 64),
                DigestLow = (ulong)digest,
                _packed = (ulong)Math.Clamp(Siblings.NewestDotMs(stored), 0, MaxMs),
            };
            entry.Flags = Siblings.AllTombstones(stored) ? EntryFlags.TombstonesOnly : EntryFlags.None;
            return entry;
        }

        public readonly bool Has(EntryFlags flag) => (Flags & flag) != 0;

        public void Set(EntryFlags flag, bool on) => Flags = on ? Flags | flag : Flags & ~flag;
    }

    /// <summary>A peer's leaves within one stripe, and how many of the stripe's keys it shares (all, and settled).</summary>
    private sealed class PeerLeaves
    {
        public readonly UInt128[] Leaves = new UInt128[LeavesPerStripe];
        public int Shared;
        public int Included;
    }
}
