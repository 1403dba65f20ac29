using System.Diagnostics.Metrics;

namespace DynamoKad.Replication;

/// <summary>
/// Replication counters: readable as properties (tests, Admin API) and published on the "DynamoKad" meter.
/// </summary>
public sealed class ReplicationMetrics : IDisposable
{
    public const string MeterName = Telemetry.DynamoKadTelemetry.Name;

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _readRepairs;
    private readonly Counter<long> _readsHedged;
    private readonly Counter<long> _hintsStored;
    private readonly Counter<long> _hintsDelivered;
    private readonly Counter<long> _keysCompared;
    private readonly Counter<long> _keysRepaired;
    private readonly Counter<long> _tombstonesReaped;
    private readonly Histogram<double> _antiEntropyDuration;
    private long _readRepairCount;
    private long _readsHedgedCount;
    private long _hintsStoredCount;
    private long _hintsDeliveredCount;
    private long _keysComparedCount;
    private long _keysRepairedCount;
    private long _tombstonesReapedCount;
    private long _antiEntropyRounds;

    public ReplicationMetrics()
    {
        _readRepairs = _meter.CreateCounter<long>("dynamokad.read_repairs", description: "Replica writes sent by read repair.");
        _readsHedged = _meter.CreateCounter<long>(
            "dynamokad.reads.hedged", description: "Replica reads sent at a read's hedge delay: the preferred replicas it had not asked by then.");
        _hintsStored = _meter.CreateCounter<long>("dynamokad.hints.stored", description: "Writes sent to a substitute with a hint.");
        _hintsDelivered = _meter.CreateCounter<long>("dynamokad.hints.delivered", description: "Hints the owner acknowledged.");
        _keysCompared = _meter.CreateCounter<long>("dynamokad.anti_entropy.keys_compared", description: "Keys compared by anti-entropy.");
        _keysRepaired = _meter.CreateCounter<long>("dynamokad.anti_entropy.keys_repaired", description: "Keys that differed and were merged.");
        _tombstonesReaped = _meter.CreateCounter<long>("dynamokad.tombstones.reaped", description: "Tombstones collected.");
        _antiEntropyDuration = _meter.CreateHistogram<double>("dynamokad.anti_entropy.duration", unit: "ms", description: "Time one anti-entropy round took.");
    }

    public long ReadRepairs => Interlocked.Read(ref _readRepairCount);

    public long ReadsHedged => Interlocked.Read(ref _readsHedgedCount);

    public long HintsStored => Interlocked.Read(ref _hintsStoredCount);

    public long HintsDelivered => Interlocked.Read(ref _hintsDeliveredCount);

    public long KeysCompared => Interlocked.Read(ref _keysComparedCount);

    public long KeysRepaired => Interlocked.Read(ref _keysRepairedCount);

    public long TombstonesReaped => Interlocked.Read(ref _tombstonesReapedCount);

    public long AntiEntropyRounds => Interlocked.Read(ref _antiEntropyRounds);

    public TimeSpan LastAntiEntropyDuration { get; private set; }

    public void ReadRepaired(int replicas)
    {
        Interlocked.Add(ref _readRepairCount, replicas);
        _readRepairs.Add(replicas);
    }

    public void ReadHedged(int replicas)
    {
        Interlocked.Add(ref _readsHedgedCount, replicas);
        _readsHedged.Add(replicas);
    }

    public void HintStored()
    {
        Interlocked.Increment(ref _hintsStoredCount);
        _hintsStored.Add(1);
    }

    public void HintDelivered()
    {
        Interlocked.Increment(ref _hintsDeliveredCount);
        _hintsDelivered.Add(1);
    }

    public void AntiEntropyExchanged(int compared, int repaired)
    {
        Interlocked.Add(ref _keysComparedCount, compared);
        Interlocked.Add(ref _keysRepairedCount, repaired);
        _keysCompared.Add(compared);
        _keysRepaired.Add(repaired);
    }

    public void AntiEntropyRoundFinished(TimeSpan duration)
    {
        Interlocked.Increment(ref _antiEntropyRounds);
        LastAntiEntropyDuration = duration;
        _antiEntropyDuration.Record(duration.TotalMilliseconds);
    }

    public void TombstoneReaped()
    {
        Interlocked.Increment(ref _tombstonesReapedCount);
        _tombstonesReaped.Add(1);
    }

    public void Dispose() => _meter.Dispose();
}
