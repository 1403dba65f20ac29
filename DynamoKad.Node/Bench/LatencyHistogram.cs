using System.Numerics;

namespace DynamoKad.Bench;

/// <summary>
/// Latencies in microseconds, bucketed log-linearly like HdrHistogram with about three significant
/// digits: exact below 1,024 µs, then 512 buckets per power of two (a relative error under 0.2%).
/// One histogram per caller, merged at the end, so recording takes no lock and allocates nothing.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int LinearBuckets = 1024;
    private const int SubBuckets = 512;
    private const int SubBucketBits = 9;
    private const int MaxMagnitude = 36; // 2^36 µs is about 19 hours: anything longer is clamped

    private readonly long[] _counts = new long[LinearBuckets + ((MaxMagnitude - 9) * SubBuckets)];

    public long Count { get; private set; }

    public long MinMicros { get; private set; } = long.MaxValue;

    public long MaxMicros { get; private set; }

    public double SumMicros { get; private set; }

    public double MeanMicros => Count == 0 ? 0 : SumMicros / Count;

    public void Record(long micros)
    {
        micros = Math.Max(0, micros);
        _counts[IndexOf(micros)]++;
        Count++;
        SumMicros += micros;
        MinMicros = Math.Min(MinMicros, micros);
        MaxMicros = Math.Max(MaxMicros, micros);
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        SumMicros += other.SumMicros;
        MinMicros = Math.Min(MinMicros, other.MinMicros);
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>
    /// The smallest recorded-bucket value v such that a fraction <paramref name="quantile"/> of the samples
    /// are at most v (nearest rank), reported as the highest value of its bucket and never above the maximum.
    /// </summary>
    public long ValueAtQuantile(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(Math.Clamp(quantile, 0, 1) * Count);
        rank = Math.Max(rank, 1);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestInBucket(i), MaxMicros);
            }
        }

        return MaxMicros;
    }

    internal static int IndexOf(long micros)
    {
        if (micros < LinearBuckets)
        {
            return (int)micros;
        }

        var magnitude = 63 - BitOperations.LeadingZeroCount((ulong)micros); // >= 10
        if (magnitude >= MaxMagnitude)
        {
            return LinearBuckets + ((MaxMagnitude - 10) * SubBuckets) + SubBuckets - 1;
        }

        var shift = magnitude - SubBucketBits;
        var sub = (int)(micros >> shift) - SubBuckets; // 0..511
        return LinearBuckets + ((magnitude - 10) * SubBuckets) + sub;
    }

    internal static long HighestInBucket(int index)
    {
        if (index < LinearBuckets)
        {
            return index;
        }

        var magnitude = ((index - LinearBuckets) / SubBuckets) + 10;
        var sub = ((index - LinearBuckets) % SubBuckets) + SubBuckets;
        var shift = magnitude - SubBucketBits;
        return ((long)(sub + 1) << shift) - 1;
    }
}
