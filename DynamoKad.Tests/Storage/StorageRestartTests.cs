using DynamoKad.Storage;
using static DynamoKad.Tests.Storage.StorageEngineFixture;

namespace DynamoKad.Tests.Storage;

public sealed class StorageRestartTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ACleanRestartKeepsEveryWriteAndHasNothingToReplay()
    {
        var dir = _dir.Sub("node");
        await using (var engine = Open(dir))
        {
            for (var i = 0; i < 500; i++)
            {
                await engine.PutAsync($"k{i}", $"v{i}");
            }

            await engine.CheckpointAsync();
            await engine.PutAsync("late", "only-in-the-wal");
            await engine.ApplyAsync(Key("k7"), _ => []);
        }

        // Shutdown checkpointed everything and removed the log.
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, StorageEngine.WalDirectoryName), "*.wal"));

        await using var reopened = Open(dir);
        Assert.Equal(0, reopened.RecoveredRecords);
        Assert.Equal("only-in-the-wal", await reopened.GetAsync("late"));
        Assert.Null(await reopened.GetAsync("k7"));
        Assert.Equal("v499", await reopened.GetAsync("k499"));
        Assert.Equal(500, reopened.GetStats().Keys);
    }

    [Fact]
    public async Task AnUncleanRestartKeepsEveryAcknowledgedWrite()
    {
        var dir = _dir.Sub("node");
        var crashed = _dir.Sub("crashed");
        await using (var engine = Open(dir))
        {
            for (var i = 0; i < 300; i++)
            {
                await engine.PutAsync($"k{i}", $"v{i}");
            }

            await engine.CheckpointAsync();
            for (var i = 0; i < 300; i += 2)
            {
                await engine.PutAsync($"k{i}", $"again{i}");
            }

            await engine.ApplyAsync(Key("k1"), _ => []);
            await engine.PutAsync("only-in-wal", "x");

            // The files as they are now, with the engine still open: what a killed process leaves.
            TempDirectory.Copy(dir, crashed);
        }

        await using var recovered = Open(crashed);
        Assert.True(recovered.RecoveredRecords > 0);
        Assert.Equal("x", await recovered.GetAsync("only-in-wal"));
        Assert.Null(await recovered.GetAsync("k1"));
        for (var i = 2; i < 300; i++)
        {
            Assert.Equal(i % 2 == 0 ? $"again{i}" : $"v{i}", await recovered.GetAsync($"k{i}"));
        }

        Assert.Equal(300, recovered.GetStats().Keys);

        // And writes continue after recovery, then survive a second unclean stop.
        await recovered.PutAsync("after", "recovery");
        var second = _dir.Sub("crashed-again");
        TempDirectory.Copy(crashed, second);
        await using var again = Open(second);
        Assert.Equal("recovery", await again.GetAsync("after"));
        Assert.Equal("x", await again.GetAsync("only-in-wal"));
    }

    [Fact]
    public async Task AKeyRewrittenWhileACheckpointCoversTheLogKeepsItsNewestWriteThroughAnUncleanStop()
    {
        var dir = _dir.Sub("node");
        var crashed = _dir.Sub("crashed");
        await using (var engine = Open(dir))
        {
            await engine.PutAsync("k", "first");
            await engine.CheckpointAsync();
            await engine.PutAsync("k", "second");

            // Enough other writes after "second" that the checkpoint covers its whole segment and deletes it.
            var filler = new string('x', 512);
            for (var i = 0; i < 100; i++)
            {
                await engine.PutAsync($"f{i}", filler);
            }

            var segments = engine.GetStats().WalSegments;

            // "third" is written after the checkpoint fixed the LSN it covers: SQLite keeps "first" for k, the log
            // keeps "third" past that LSN, and "second" goes with its segment.
            engine.CheckpointCovering = () => engine.PutAsync("k", "third").AsTask().GetAwaiter().GetResult();
            await engine.CheckpointAsync();
            engine.CheckpointCovering = null;

            Assert.True(engine.GetStats().WalSegments < segments, $"the checkpoint left all {segments} segments");
            Assert.Equal("third", await engine.GetAsync("k"));
            TempDirectory.Copy(dir, crashed);
        }

        var again = _dir.Sub("crashed-again");
        await using (var recovered = Open(crashed))
        {
            Assert.Equal(1, recovered.RecoveredRecords);
            Assert.Equal("third", await recovered.GetAsync("k"));
            Assert.Equal(101, recovered.GetStats().Keys);

            // The next checkpoint writes it; then nothing is left to replay.
            await recovered.CheckpointAsync();
            TempDirectory.Copy(crashed, again);
        }

        await using var reopened = Open(again);
        Assert.Equal(0, reopened.RecoveredRecords);
        Assert.Equal("third", await reopened.GetAsync("k"));
        Assert.Equal(new string('x', 512), await reopened.GetAsync("f99"));
    }

    [Theory]
    [InlineData(DurabilityMode.Always)]
    [InlineData(DurabilityMode.Batch)]
    public async Task WritesAcknowledgedInEitherSafeModeSurviveAnUncleanStop(DurabilityMode mode)
    {
        var dir = _dir.Sub("node");
        var crashed = _dir.Sub("crashed");
        await using (var engine = Open(dir, o =>
        {
            o.Durability = mode;
            o.FsyncIntervalMs = 5;
        }))
        {
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => engine.PutAsync($"k{i}", $"v{i}").AsTask()));
            TempDirectory.Copy(dir, crashed);
        }

        await using var recovered = Open(crashed);
        Assert.Equal(64, recovered.RecoveredRecords);
        for (var i = 0; i < 64; i++)
        {
            Assert.Equal($"v{i}", await recovered.GetAsync($"k{i}"));
        }
    }

    [Fact]
    public async Task HintsPutPeekAndRemoveSurviveCleanAndUncleanRestarts()
    {
        var dir = _dir.Sub("node");
        var crashed = _dir.Sub("crashed");
        byte[] targetA = [.. Enumerable.Repeat((byte)0xAA, 20)];
        byte[] targetB = [.. Enumerable.Repeat((byte)0xBB, 20)];
        long first, second, third;
        await using (var engine = Open(dir))
        {
            first = await engine.PutHintAsync(new HintRecord(0, targetA, Key("k1"), Version("v1"), DateTimeOffset.FromUnixTimeMilliseconds(1_000)));
            second = await engine.PutHintAsync(new HintRecord(0, targetB, Key("k2"), Version("v2"), DateTimeOffset.FromUnixTimeMilliseconds(2_000)));
            await engine.CheckpointAsync();
            third = await engine.PutHintAsync(new HintRecord(0, targetA, Key("k3"), Version("v3", tombstone: true), DateTimeOffset.FromUnixTimeMilliseconds(3_000)));
            Assert.True(first < second && second < third);

            var forA = await engine.PeekHintsAsync(targetA, 10);
            Assert.Equal([first, third], forA.Select(h => h.Id));
            Assert.Equal([first], (await engine.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, 1)).Select(h => h.Id));

            await engine.RemoveHintAsync(first);
            await engine.RemoveHintAsync(12345); // unknown: nothing happens
            TempDirectory.Copy(dir, crashed);
        }

        foreach (var path in new[] { dir, crashed })
        {
            await using var reopened = Open(path);
            var all = await reopened.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, 10);
            Assert.Equal([second, third], all.Select(h => h.Id));
            var hint = all[1];
            Assert.Equal(targetA, hint.Target);
            Assert.Equal(Key("k3"), hint.Key);
            Assert.True(hint.Version.Tombstone);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(3_000), hint.CreatedAt);

            // Ids keep growing after a restart.
            var next = await reopened.PutHintAsync(new HintRecord(0, targetB, Key("k4"), Version("v4"), DateTimeOffset.UnixEpoch));
            Assert.True(next > third);
        }
    }

    [Fact]
    public async Task AStoreWrittenByAnotherNodeIsRefused()
    {
        var dir = _dir.Sub("node");
        await (await Task.FromResult(StorageEngine.Open(Options(dir), nodeId: [1, 2, 3]))).DisposeAsync();
        await (await Task.FromResult(StorageEngine.Open(Options(dir), nodeId: [1, 2, 3]))).DisposeAsync();

        var error = Assert.Throws<InvalidDataException>(() => StorageEngine.Open(Options(dir), nodeId: [4, 5, 6]));
        Assert.Contains("belongs to node 010203", error.Message, StringComparison.Ordinal);
    }
}
