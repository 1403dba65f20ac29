using System.Text;
using DynamoKad.Storage;

namespace DynamoKad.Tests.Storage;

public sealed class WriteAheadLogTests : IDisposable
{
    private const int SegmentSize = 4096;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RecoveryReturnsEveryAppendedRecordInOrder()
    {
        var walDir = _dir.Sub("wal");
        var payloads = await WriteRecordsAsync(walDir, 50, DurabilityMode.Always);

        var recovered = Recover(walDir, out var wal);
        await wal.DisposeAsync();

        Assert.Equal(payloads, recovered);
    }

    [Fact]
    public async Task ConcurrentAppendsShareBatchesAndAllBecomeDurable()
    {
        var walDir = _dir.Sub("wal");
        var durableCalls = 0;
        var wal = WriteAheadLog.Open(walDir, Settings(DurabilityMode.Always, 1 << 20), 1, (_, _) => { }, (_, _) => Interlocked.Increment(ref durableCalls));
        var tasks = Enumerable.Range(0, 500).Select(i => Task.Run(() => wal.Append(new TestPayload($"record-{i}"), out _))).ToArray();
        await Task.WhenAll(tasks);
        await wal.DisposeAsync();

        // One durable callback per batch: fewer than appends shows fsyncs were shared.
        Assert.InRange(durableCalls, 1, 499);
        var recovered = Recover(walDir, out var reopened);
        await reopened.DisposeAsync();
        Assert.Equal(500, recovered.Count);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"record-{i}").Order(), recovered.Order());
    }

    [Fact]
    public async Task RecordsSpanSeveralSegmentsAndTrimDeletesOnlyCoveredOnes()
    {
        var walDir = _dir.Sub("wal");
        var wal = WriteAheadLog.Open(walDir, Settings(DurabilityMode.Always, SegmentSize), 1, (_, _) => { });
        long lastLsn = 0;
        for (var i = 0; i < 200; i++)
        {
            await wal.Append(new TestPayload($"record-{i:D4}-{new string('p', 40)}"), out lastLsn);
        }

        Assert.True(wal.SegmentCount > 3, $"expected rollover, got {wal.SegmentCount} segments");
        var before = wal.SegmentCount;
        wal.TrimUpTo(lastLsn / 2);
        Assert.InRange(wal.SegmentCount, 2, before - 1);
        await wal.DisposeAsync();

        var recovered = Recover(walDir, out var reopened);
        await reopened.DisposeAsync();
        // Trimming keeps every record above the trimmed LSN, in order, ending with the last one.
        Assert.Equal("record-0199-" + new string('p', 40), recovered[^1]);
        Assert.True(recovered.Count >= 100, $"only {recovered.Count} records survived trimming");
    }

    [Fact]
    public async Task TruncatingAtEveryByteOfTheLastRecordsRecoversExactlyTheWholeRecordPrefix()
    {
        var source = _dir.Sub("source");
        var payloads = await WriteRecordsAsync(source, 12, DurabilityMode.Always, segmentSize: 1 << 20);
        var segment = Directory.GetFiles(source, "*.wal").Order().First();
        var bytes = File.ReadAllBytes(segment);
        var ends = FrameEnds(payloads);
        var tailStart = ends[^5];

        for (var cut = tailStart; cut <= ends[^1]; cut++)
        {
            var dir = _dir.Sub($"cut-{cut}");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, Path.GetFileName(segment)), bytes.AsSpan(0, cut).ToArray());

            var recovered = Recover(dir, out var wal);
            await wal.DisposeAsync();

            var whole = ends.Count(end => end <= cut);
            Assert.True(payloads.Take(whole).SequenceEqual(recovered), $"cut at byte {cut}: expected {whole} records, got {recovered.Count}");
        }
    }

    [Fact]
    public async Task CorruptingAnyByteOfTheLastRecordsRecoversExactlyTheRecordsBeforeIt()
    {
        var source = _dir.Sub("source");
        var payloads = await WriteRecordsAsync(source, 12, DurabilityMode.Always, segmentSize: 1 << 20);
        var segment = Directory.GetFiles(source, "*.wal").Order().First();
        var bytes = File.ReadAllBytes(segment);
        var ends = FrameEnds(payloads);

        for (var offset = ends[^4]; offset < ends[^1]; offset++)
        {
            var dir = _dir.Sub($"flip-{offset}");
            Directory.CreateDirectory(dir);
            var damaged = bytes.ToArray();
            damaged[offset] ^= 0x5A;
            File.WriteAllBytes(Path.Combine(dir, Path.GetFileName(segment)), damaged);

            var recovered = Recover(dir, out var wal);
            await wal.DisposeAsync();

            var intact = ends.Count(end => end <= offset);
            Assert.True(payloads.Take(intact).SequenceEqual(recovered), $"byte {offset} flipped: expected {intact} records, got {recovered.Count}");

            // The damaged tail was cut off: a second recovery sees the same prefix and nothing else.
            var again = Recover(dir, out var second);
            await second.DisposeAsync();
            Assert.Equal(recovered, again);
        }
    }

    [Fact]
    public async Task RecordsAppendedAfterRecoveryFromATornTailAreRecoveredNextTime()
    {
        var walDir = _dir.Sub("wal");
        var payloads = await WriteRecordsAsync(walDir, 10, DurabilityMode.Always, segmentSize: 1 << 20);
        var segment = Directory.GetFiles(walDir, "*.wal").Order().First();
        var ends = FrameEnds(payloads);
        using (var file = File.OpenHandle(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, ends[^1] - 3);
        }

        var recovered = Recover(walDir, out var wal);
        Assert.Equal(payloads.Take(9), recovered);
        await wal.Append(new TestPayload("after-recovery"), out _);
        await wal.DisposeAsync();

        var final = Recover(walDir, out var reopened);
        await reopened.DisposeAsync();
        Assert.Equal([.. payloads.Take(9), "after-recovery"], final);
    }

    [Fact]
    public async Task BatchAndNoneDurabilityStillRecoverAfterCleanClose()
    {
        foreach (var mode in new[] { DurabilityMode.Batch, DurabilityMode.None })
        {
            var walDir = _dir.Sub($"wal-{mode}");
            var payloads = await WriteRecordsAsync(walDir, 20, mode);
            var recovered = Recover(walDir, out var wal);
            await wal.DisposeAsync();
            Assert.Equal(payloads, recovered);
        }
    }

    private static WalSettings Settings(DurabilityMode mode, long segmentSize = SegmentSize) =>
        new(mode, TimeSpan.FromMilliseconds(2), segmentSize);

    private static async Task<List<string>> WriteRecordsAsync(string dir, int count, DurabilityMode mode, long segmentSize = SegmentSize)
    {
        var wal = WriteAheadLog.Open(dir, Settings(mode, segmentSize), 1, (_, _) => { });
        var payloads = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var text = $"record-{i}-{new string((char)('a' + (i % 26)), 10 + (i * 7 % 30))}";
            payloads.Add(text);
            await wal.Append(new TestPayload(text), out _);
        }

        await wal.DisposeAsync();
        return payloads;
    }

    /// <summary>Byte offset where each record's frame ends, for records written one after another from offset 0.</summary>
    private static int[] FrameEnds(List<string> payloads)
    {
        var ends = new int[payloads.Count];
        var offset = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            offset += WalFrame.HeaderSize + Encoding.UTF8.GetByteCount(payloads[i]);
            ends[i] = offset;
        }

        return ends;
    }

    private static List<string> Recover(string dir, out WriteAheadLog wal)
    {
        var recovered = new List<string>();
        wal = WriteAheadLog.Open(dir, Settings(DurabilityMode.Always), 1, (_, payload) => recovered.Add(Encoding.UTF8.GetString(payload)));
        return recovered;
    }

    private sealed class TestPayload(string text) : IWalPayload
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);

        public int Size => _bytes.Length;

        public void WriteTo(Span<byte> destination) => _bytes.CopyTo(destination);
    }
}
