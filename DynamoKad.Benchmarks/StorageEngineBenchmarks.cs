using BenchmarkDotNet.Attributes;
using DynamoKad.Storage;

namespace DynamoKad.Benchmarks;

/// <summary>
/// A replica write as storage sees it: <see cref="StorageEngine.ApplyAsync"/> replaces a key's version and
/// appends it to the WAL, acknowledged after the fsync (Always) or the OS write (None). With 64 concurrent
/// writers one fsync covers many records (group commit): the per-op figure is the batch time / 64.
/// </summary>
[MemoryDiagnoser]
public class StorageEngineBenchmarks
{
    private const int Writers = 64;
    private readonly byte[][] _keys = [.. Enumerable.Range(0, Writers).Select(i => System.Text.Encoding.ASCII.GetBytes($"k{i:D15}"))];
    private readonly StoredVersion[] _version = [new(new byte[60], new byte[100], false)];
    private readonly Task<IReadOnlyList<StoredVersion>>[] _pending = new Task<IReadOnlyList<StoredVersion>>[Writers];
    private string _dir = string.Empty;
    private StorageEngine _engine = null!;
    private Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> _replace = null!;

    [Params(DurabilityMode.Always, DurabilityMode.None)]
    public DurabilityMode Durability { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "dynamokad-bench-storage-" + Guid.NewGuid().ToString("N"));
        _engine = StorageEngine.Open(new StorageOptions { DataDir = _dir, Durability = Durability });
        _replace = _ => _version;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public async Task<int> ApplyOne() => (await _engine.ApplyAsync(_keys[0], _replace)).Count;

    [Benchmark(OperationsPerInvoke = Writers)]
    public async Task<int> Apply64Concurrent()
    {
        for (var i = 0; i < Writers; i++)
        {
            _pending[i] = _engine.ApplyAsync(_keys[i], _replace).AsTask();
        }

        var total = 0;
        foreach (var write in _pending)
        {
            total += (await write).Count;
        }

        return total;
    }
}
