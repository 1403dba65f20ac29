using System.Runtime.CompilerServices;
using DynamoKad.Storage;

namespace DynamoKad.Tests.Replication;

/// <summary>In-memory storage that counts scans and can hold one between reading storage and handing out what it read.</summary>
internal sealed class CountingStorage : IStorageEngine
{
    private readonly InMemoryStorageEngine _inner = new();
    private TaskCompletionSource? _release;
    private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Scans { get; private set; }

    public Task ScanStarted => _started.Task;

    public void HoldScans()
    {
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void ReleaseScans() => _release?.TrySetResult();

    public async IAsyncEnumerable<StoredRecord> ScanAsync(
        ReadOnlyMemory<byte> fromHashInclusive, ReadOnlyMemory<byte> toHashExclusive, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Scans++;
        var read = new List<StoredRecord>();
        await foreach (var record in _inner.ScanAsync(fromHashInclusive, toHashExclusive, cancellationToken))
        {
            read.Add(record);
        }

        _started.TrySetResult();
        if (_release is { } release)
        {
            await release.Task.WaitAsync(cancellationToken);
        }

        foreach (var record in read)
        {
            yield return record;
        }
    }

    public ValueTask<IReadOnlyList<StoredVersion>> ReadAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => _inner.ReadAsync(key, cancellationToken);

    public ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        ReadOnlyMemory<byte> key, Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge, CancellationToken cancellationToken = default) =>
        _inner.ApplyAsync(key, merge, cancellationToken);

    public ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        HashedKey key, Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge, CancellationToken cancellationToken = default) =>
        _inner.ApplyAsync(key, merge, cancellationToken);

    public ValueTask<long> PutHintAsync(HintRecord hint, CancellationToken cancellationToken = default) => _inner.PutHintAsync(hint, cancellationToken);

    public ValueTask<IReadOnlyList<HintRecord>> PeekHintsAsync(ReadOnlyMemory<byte> target, int max, CancellationToken cancellationToken = default) =>
        _inner.PeekHintsAsync(target, max, cancellationToken);

    public ValueTask RemoveHintAsync(long hintId, CancellationToken cancellationToken = default) => _inner.RemoveHintAsync(hintId, cancellationToken);

    public StorageStats GetStats() => _inner.GetStats();

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
