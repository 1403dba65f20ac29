using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DynamoKad.Storage;

/// <summary>
/// <c>bench-storage</c>: durable write throughput of the storage engine side by side, in one run, with
/// its floor: the same WAL group-commit loop writing the same records with fsync and nothing else (no
/// memtable, no SQLite). Then point reads. Ends with one line of JSON.
/// </summary>
internal static class StorageBenchmarkCommand
{
    public static Command Create()
    {
        var duration = new Option<double>("--duration") { Description = "Seconds of writes for each side (floor, engine).", DefaultValueFactory = _ => 10 };
        var writers = new Option<int>("--writers") { Description = "Concurrent writers.", DefaultValueFactory = _ => 64 };
        var valueBytes = new Option<int>("--value-bytes") { Description = "Value size.", DefaultValueFactory = _ => 100 };
        var readSeconds = new Option<double>("--read-duration") { Description = "Seconds of point reads.", DefaultValueFactory = _ => 5 };
        var dir = new Option<string?>("--dir") { Description = "Scratch directory (default: a new one under the temp directory, deleted after)." };
        var segmentSize = new Option<long>("--segment-size") { Description = "WAL segment size in bytes.", DefaultValueFactory = _ => new StorageOptions().SegmentSizeBytes };
        var checkpointMs = new Option<int>("--checkpoint-interval-ms") { Description = "Engine checkpoint interval.", DefaultValueFactory = _ => new StorageOptions().CheckpointIntervalMs };
        var checkpointPending = new Option<int>("--checkpoint-max-pending") { Description = "Engine: checkpoint early past this many pending writes.", DefaultValueFactory = _ => new StorageOptions().CheckpointMaxPendingWrites };
        var rounds = new Option<int>("--rounds") { Description = "Alternating floor/engine slices the duration is split into.", DefaultValueFactory = _ => 5 };
        var command = new Command("bench-storage", "Benchmark durable writes (engine vs raw WAL floor) and point reads.")
        {
            duration, writers, valueBytes, readSeconds, dir, segmentSize, rounds, checkpointMs, checkpointPending,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new Settings(
                TimeSpan.FromSeconds(result.GetValue(duration)),
                result.GetValue(writers),
                result.GetValue(valueBytes),
                TimeSpan.FromSeconds(result.GetValue(readSeconds)),
                result.GetValue(segmentSize),
                Math.Max(1, result.GetValue(rounds)),
                result.GetValue(checkpointMs),
                result.GetValue(checkpointPending));
            var root = result.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), "dynamokad-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                await RunAsync(settings, root, cancellationToken);
                return 0;
            }
            finally
            {
                if (result.GetValue(dir) is null && Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        });
        return command;
    }

    private static async Task RunAsync(Settings settings, string root, CancellationToken cancellationToken)
    {
        Console.WriteLine($"bench-storage: {settings.Writers} writers, 16-byte keys, {settings.ValueBytes}-byte values, durability Always, {settings.Duration.TotalSeconds:0.#} s per side in {settings.Rounds} alternating rounds, data in {root}");

        // (a) The floor: the same group-commit loop and the same records, fsync, nothing else.
        var walSettings = new WalSettings(DurabilityMode.Always, TimeSpan.Zero, settings.SegmentSizeBytes);
        await using var wal = WriteAheadLog.Open(Path.Combine(root, "floor"), walSettings, 1, (_, _) => { });

        // (b) The engine: memtable, per-key locks, background checkpoint into SQLite.
        var options = new StorageOptions
        {
            DataDir = Path.Combine(root, "engine"),
            Durability = DurabilityMode.Always,
            SegmentSizeBytes = settings.SegmentSizeBytes,
            CheckpointIntervalMs = settings.CheckpointIntervalMs,
            CheckpointMaxPendingWrites = settings.CheckpointMaxPendingWrites,
        };
        await using var engine = StorageEngine.Open(options);

        // Alternating slices, so both sides see the same machine (other work on a shared box moves the floor a lot).
        var floor = new Phase(settings.Writers);
        var measured = new Phase(settings.Writers);
        var slice = settings.Duration / settings.Rounds;
        for (var round = 0; round < settings.Rounds; round++)
        {
            await MeasureAsync(floor, settings, slice, (key, version) =>
                new ValueTask(wal.Append(new StorageOp.KeyWrite(key, SHA1.HashData(key), [version]), out _)), cancellationToken);
            await MeasureAsync(measured, settings, slice, async (key, version) =>
                await engine.ApplyAsync(key, _ => [version], cancellationToken), cancellationToken);
        }

        Report("floor  (WAL only, fsync, no SQLite)", floor);
        Console.WriteLine($"         group commit: {wal.Counters}");
        Report("engine (StorageEngine, Always)     ", measured);
        Console.WriteLine($"         group commit: {engine.WalCounters}");
        var ratio = measured.PerSecond / floor.PerSecond;
        Console.WriteLine($"ratio engine/floor: {ratio:0.00} (target >= 0.70)");

        // Point reads of written keys, after a checkpoint so they come from SQLite (the memtable is faster).
        var checkpointWatch = Stopwatch.StartNew();
        while (await engine.CheckpointAsync(cancellationToken) > 0)
        {
        }

        Console.WriteLine($"final checkpoint drained the memtable in {checkpointWatch.Elapsed.TotalMilliseconds:0} ms; {engine.GetStats().Keys} keys in SQLite");
        var reads = await MeasureReadsAsync(settings, engine, measured.NextSequence, cancellationToken);
        Console.WriteLine($"point reads: {reads:0} reads/s ({settings.Writers} readers, random written keys, from SQLite)");

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["writers"] = settings.Writers,
            ["valueBytes"] = settings.ValueBytes,
            ["secondsPerSide"] = settings.Duration.TotalSeconds,
            ["floorWritesPerSec"] = Math.Round(floor.PerSecond),
            ["floorP50Ms"] = Math.Round(floor.Percentile(0.50), 3),
            ["floorP99Ms"] = Math.Round(floor.Percentile(0.99), 3),
            ["engineWritesPerSec"] = Math.Round(measured.PerSecond),
            ["engineP50Ms"] = Math.Round(measured.Percentile(0.50), 3),
            ["engineP99Ms"] = Math.Round(measured.Percentile(0.99), 3),
            ["ratio"] = Math.Round(ratio, 3),
            ["pointReadsPerSec"] = Math.Round(reads),
        }));
    }

    private static void Report(string name, Phase phase) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {phase.PerSecond,10:0} durable writes/s  p50 {phase.Percentile(0.50):0.000} ms  p99 {phase.Percentile(0.99):0.000} ms  ({phase.Count} writes)"));

    private static async Task MeasureAsync(Phase phase, Settings settings, TimeSpan duration, Func<byte[], StoredVersion, ValueTask> write, CancellationToken cancellationToken)
    {
        var value = new byte[settings.ValueBytes];
        Random.Shared.NextBytes(value);
        var version = new StoredVersion(BitConverter.GetBytes(1L), value, false);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, settings.Writers).Select(w => Task.Run(async () =>
        {
            var latencies = phase.Latencies[w];
            while (true)
            {
                var before = Stopwatch.GetTimestamp();
                if (before >= end || cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                await write(Key(w, phase.NextSequence[w]++), version);
                latencies.Add(Stopwatch.GetTimestamp() - before);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(tasks);
        phase.Elapsed += Stopwatch.GetElapsedTime(start);
    }

    private static async Task<double> MeasureReadsAsync(Settings settings, StorageEngine engine, int[] keysPerWriter, CancellationToken cancellationToken)
    {
        long total = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(settings.ReadDuration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, settings.Writers).Select(r => Task.Run(async () =>
        {
            var random = new Random(r);
            long count = 0;
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var w = random.Next(keysPerWriter.Length);
                var versions = await engine.ReadAsync(Key(w, random.Next(Math.Max(1, keysPerWriter[w]))), cancellationToken);
                if (versions.Count != 1 && keysPerWriter[w] > 0)
                {
                    throw new InvalidOperationException("A written key read back empty.");
                }

                count++;
            }

            Interlocked.Add(ref total, count);
        }, cancellationToken)).ToArray();
        await Task.WhenAll(tasks);
        return total / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>16 ASCII bytes, unique per writer and sequence number.</summary>
    private static byte[] Key(int writer, int sequence) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"w{writer:D3}{sequence:D12}"));

    private sealed record Settings(TimeSpan Duration, int Writers, int ValueBytes, TimeSpan ReadDuration, long SegmentSizeBytes, int Rounds, int CheckpointIntervalMs, int CheckpointMaxPendingWrites);

    /// <summary>One side's results, accumulated over its slices.</summary>
    private sealed class Phase(int writers)
    {
        private long[]? _sorted;

        public List<long>[] Latencies { get; } = [.. Enumerable.Range(0, writers).Select(_ => new List<long>(1 << 16))];

        public int[] NextSequence { get; } = new int[writers];

        public TimeSpan Elapsed { get; set; }

        public long Count => Latencies.Sum(l => (long)l.Count);

        public double PerSecond => Count / Elapsed.TotalSeconds;

        public double Percentile(double p)
        {
            _sorted ??= [.. Latencies.SelectMany(l => l).Order()];
            return _sorted.Length == 0 ? 0 : _sorted[(int)Math.Min(_sorted.Length - 1, p * _sorted.Length)] * 1000.0 / Stopwatch.Frequency;
        }
    }
}
