using System.Runtime.CompilerServices;
using System.Text;
using DynamoKad.Storage;
using static DynamoKad.Tests.Storage.StorageEngineFixture;

namespace DynamoKad.Tests.Storage;

public sealed class StorageEngineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ApplyStoresTheMergedVersionsAndReadReturnsThem()
    {
        await using var engine = Open(_dir.Path);

        var stored = await engine.ApplyAsync(Key("a"), current =>
        {
            Assert.Empty(current);
            return [Version("one", 1), Version("two", 2)];
        });

        Assert.Equal(2, stored.Count);
        Assert.Equal("one|two", await engine.GetAsync("a"));
        Assert.Null(await engine.GetAsync("b"));
    }

    [Fact]
    public async Task MergeReturningItsInputWritesNothing()
    {
        await using var engine = Open(_dir.Path);
        await engine.PutAsync("a", "v");
        var before = engine.GetStats().AppliedWrites;

        var result = await engine.ApplyAsync(Key("a"), current => current);

        Assert.Equal(before, engine.GetStats().AppliedWrites);
        Assert.Equal("v", Encoding.UTF8.GetString(Assert.Single(result).Value));
    }

    [Fact]
    public async Task AnEmptyResultRemovesTheKeyBeforeAndAfterACheckpoint()
    {
        await using var engine = Open(_dir.Path);
        await engine.PutAsync("a", "v");
        await engine.PutAsync("b", "w");
        await engine.CheckpointAsync();
        Assert.Equal(2, engine.GetStats().Keys);

        await engine.ApplyAsync(Key("a"), _ => []);
        Assert.Null(await engine.GetAsync("a"));
        await engine.CheckpointAsync();
        Assert.Null(await engine.GetAsync("a"));
        Assert.Equal("w", await engine.GetAsync("b"));
        Assert.Equal(1, engine.GetStats().Keys);
    }

    [Fact]
    public async Task NeitherAnOverwrittenVersionNorTheWritersKeyArraysAreHeldUntilTheCheckpoint()
    {
        await using var engine = Open(_dir.Path);
        await engine.PutAsync("k", "first");

        var (version, key, hash) = await WriteSecondAsync(engine);
        await engine.PutAsync("k", "third");
        await engine.PutAsync("other", "x");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(version.IsAlive, "the overwritten version is still held");
        Assert.False(key.IsAlive, "the writer's key array is still held: the memtable entry's own should be reused");
        Assert.False(hash.IsAlive, "the writer's key hash is still held");
        Assert.Equal("third", await engine.GetAsync("k"));
        await engine.CheckpointAsync();
        Assert.Equal("third", await engine.GetAsync("k"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Version, WeakReference Key, WeakReference Hash)> WriteSecondAsync(StorageEngine engine)
    {
        var key = HashedKey.Of(Key("k"));
        var stored = await engine.ApplyAsync(key, _ => [Version("second", 2)]);
        return (new WeakReference(stored[0]), new WeakReference(key.Key), new WeakReference(key.Hash));
    }

    [Fact]
    public async Task TombstonesAreStoredAsVersions()
    {
        await using var engine = Open(_dir.Path);
        await engine.ApplyAsync(Key("gone"), _ => [new StoredVersion([7], [], Tombstone: true)]);
        await engine.CheckpointAsync();

        var version = Assert.Single(await engine.ReadAsync(Key("gone")));
        Assert.True(version.Tombstone);
        Assert.Equal([7], version.Clock);
    }

    [Fact]
    public async Task ReadsSeeEveryAcknowledgedWriteAcrossCheckpoints()
    {
        await using var engine = Open(_dir.Path);
        for (var i = 0; i < 300; i++)
        {
            await engine.PutAsync($"key-{i}", $"first-{i}");
            if (i % 97 == 0)
            {
                await engine.CheckpointAsync();
            }
        }

        for (var i = 0; i < 300; i += 3)
        {
            await engine.PutAsync($"key-{i}", $"second-{i}");
        }

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 300; i++)
            {
                Assert.Equal(i % 3 == 0 ? $"second-{i}" : $"first-{i}", await engine.GetAsync($"key-{i}"));
            }

            await engine.CheckpointAsync();
        }

        Assert.Equal(300, engine.GetStats().Keys);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(300L)]
    [InlineData(64L * 1024 * 1024)]
    public async Task ReadsAfterCheckpointsAreRightWhateverTheReadCacheHolds(long readCacheBytes)
    {
        await using var engine = Open(_dir.Path, o => o.ReadCacheBytes = readCacheBytes);
        for (var i = 0; i < 200; i++)
        {
            await engine.PutAsync($"k{i}", $"v{i}");
        }

        await engine.CheckpointAsync();
        for (var i = 0; i < 200; i += 2)
        {
            await engine.PutAsync($"k{i}", $"w{i}", clock: 2);
        }

        await engine.CheckpointAsync();
        for (var i = 0; i < 200; i += 4)
        {
            await engine.ApplyAsync(Key($"k{i}"), _ => []);
        }

        await engine.CheckpointAsync();
        for (var i = 0; i < 200; i++)
        {
            var expected = i % 4 == 0 ? null : i % 2 == 0 ? $"w{i}" : $"v{i}";
            Assert.Equal(expected, await engine.GetAsync($"k{i}"));
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(300L)]
    [InlineData(64L * 1024 * 1024)]
    public async Task ConcurrentAppliesToTheSameKeysLoseNoUpdate(long readCacheBytes)
    {
        const int Keys = 4;
        const int Tasks = 32;
        const int Increments = 40;
        await using var engine = Open(_dir.Path, o => o.ReadCacheBytes = readCacheBytes);
        using var stop = new CancellationTokenSource();
        // Checkpoints run throughout, so memtable entries move into SQLite under the writers' feet.
        var checkpoints = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await engine.CheckpointAsync();
                await Task.Yield();
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < Increments; i++)
            {
                await engine.ApplyAsync(Key($"counter-{t % Keys}"), current =>
                {
                    var value = current.Count == 0 ? 0 : int.Parse(Encoding.UTF8.GetString(current[0].Value), System.Globalization.CultureInfo.InvariantCulture);
                    return [Version((value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))];
                });
            }
        })));
        await stop.CancelAsync();
        await checkpoints;

        for (var k = 0; k < Keys; k++)
        {
            Assert.Equal($"{Tasks / Keys * Increments}", await engine.GetAsync($"counter-{k}"));
        }

        Assert.Equal(Tasks * Increments, engine.GetStats().AppliedWrites);
    }

    [Fact]
    public async Task ScanYieldsKeysInHashOrderWithinTheRangeMergingMemtableAndSqlite()
    {
        var expected = new Dictionary<string, string>();
        await using var engine = Open(_dir.Path);
        // More than one SQLite page (512), then overwrites, deletes and new keys left in the memtable.
        for (var i = 0; i < 1200; i++)
        {
            await engine.PutAsync($"k{i}", $"v{i}");
            expected[$"k{i}"] = $"v{i}";
        }

        await engine.CheckpointAsync();
        for (var i = 0; i < 1200; i += 10)
        {
            await engine.PutAsync($"k{i}", $"updated{i}");
            expected[$"k{i}"] = $"updated{i}";
            await engine.ApplyAsync(Key($"k{i + 1}"), _ => []);
            expected.Remove($"k{i + 1}");
            await engine.PutAsync($"new{i}", $"n{i}");
            expected[$"new{i}"] = $"n{i}";
        }

        var ordered = expected
            .Select(e => (Hash: System.Security.Cryptography.SHA1.HashData(Key(e.Key)), e.Key, e.Value))
            .OrderBy(e => Convert.ToHexString(e.Hash), StringComparer.Ordinal)
            .ToList();

        var all = await ToListAsync(engine.ScanAsync(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(ordered.Select(e => e.Key), all.Select(r => Encoding.UTF8.GetString(r.Key)));
        Assert.Equal(ordered.Select(e => e.Value), all.Select(r => Encoding.UTF8.GetString(Assert.Single(r.Versions).Value)));
        Assert.All(all, r => Assert.Equal(System.Security.Cryptography.SHA1.HashData(r.Key), r.KeyHash));

        var from = ordered[100].Hash;
        var to = ordered[700].Hash;
        var range = await ToListAsync(engine.ScanAsync(from, to));
        Assert.Equal(ordered.Skip(100).Take(600).Select(e => e.Key), range.Select(r => Encoding.UTF8.GetString(r.Key)));
    }

    [Fact]
    public async Task AWriteGivenItsHashedKeyIsFiledUnderTheKeysHashAndSurvivesACheckpointAndReopen()
    {
        var key = HashedKey.Of(Key("hashed"));
        Assert.Equal(System.Security.Cryptography.SHA1.HashData(Key("hashed")), key.Hash);
        Assert.Equal(DynamoKad.Kademlia.NodeId.ForKey(key.Key), DynamoKad.Kademlia.NodeId.FromBytes(key.Hash));
        await using (var engine = Open(_dir.Path))
        {
            await engine.ApplyAsync(key, current =>
            {
                Assert.Empty(current);
                return [Version("v", 1)];
            });
            await engine.ApplyAsync(key, current => [.. current, Version("w", 2)]);
            Assert.Equal("v|w", await engine.GetAsync("hashed"));
            await engine.CheckpointAsync();
            var scanned = Assert.Single(await ToListAsync(engine.ScanAsync(key.Hash, ReadOnlyMemory<byte>.Empty)), r => r.Key.AsSpan().SequenceEqual(key.Key));
            Assert.Equal(key.Hash, scanned.KeyHash);

            var empty = await Assert.ThrowsAsync<StorageValidationException>(() => engine.ApplyAsync(HashedKey.Of([]), _ => [Version("v")]).AsTask());
            Assert.Contains("key is empty", empty.Message, StringComparison.Ordinal);
        }

        // Reopened, the row is found by the hash of the key the read names: it was filed under the same hash.
        await using var reopened = Open(_dir.Path);
        Assert.Equal("v|w", await reopened.GetAsync("hashed"));
    }

    [Fact]
    public async Task InvalidKeysAndValuesAreRefusedWithMessagesNamingTheProblem()
    {
        await using var engine = Open(_dir.Path, o => o.MaxValueBytes = 100);

        var empty = await Assert.ThrowsAsync<StorageValidationException>(() => engine.ApplyAsync(ReadOnlyMemory<byte>.Empty, _ => [Version("v")]).AsTask());
        Assert.Contains("key is empty", empty.Message, StringComparison.Ordinal);

        var longKey = await Assert.ThrowsAsync<StorageValidationException>(() => engine.ReadAsync(new byte[1025]).AsTask());
        Assert.Contains("1025 bytes", longKey.Message, StringComparison.Ordinal);
        Assert.Contains("MaxKeyBytes", longKey.Message, StringComparison.Ordinal);

        var bigValue = await Assert.ThrowsAsync<StorageValidationException>(() => engine.ApplyAsync(Key("k"), _ => [new StoredVersion([1], new byte[101], false)]).AsTask());
        Assert.Contains("101 bytes", bigValue.Message, StringComparison.Ordinal);
        Assert.Contains("MaxValueBytes", bigValue.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<ArgumentException>(bigValue);

        var hint = new HintRecord(0, [], Key("k"), Version("v"), DateTimeOffset.UnixEpoch);
        var noTarget = await Assert.ThrowsAsync<StorageValidationException>(() => engine.PutHintAsync(hint).AsTask());
        Assert.Contains("target is empty", noTarget.Message, StringComparison.Ordinal);

        // Nothing was written, and a key at the limit is fine.
        Assert.Equal(0, engine.GetStats().AppliedWrites);
        await engine.ApplyAsync(new byte[1024], _ => [new StoredVersion([1], new byte[100], false)]);
        Assert.Equal(1, engine.GetStats().Keys);
    }

    [Fact]
    public async Task StatsCountKeysHintsAndCheckpoints()
    {
        await using var engine = Open(_dir.Path);
        Assert.Null(engine.GetStats().LastCheckpoint);
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "2");
        await engine.PutHintAsync(new HintRecord(0, [9], Key("a"), Version("1"), DateTimeOffset.UnixEpoch));
        await engine.CheckpointAsync();

        var stats = engine.GetStats();
        Assert.Equal(2, stats.Keys);
        Assert.Equal(1, stats.HintsPending);
        Assert.Equal(2, stats.AppliedWrites);
        Assert.NotNull(stats.LastCheckpoint);
        Assert.True(stats.WalSegments >= 1);
    }

    private static async Task<List<StoredRecord>> ToListAsync(IAsyncEnumerable<StoredRecord> records)
    {
        var list = new List<StoredRecord>();
        await foreach (var record in records)
        {
            list.Add(record);
        }

        return list;
    }
}
