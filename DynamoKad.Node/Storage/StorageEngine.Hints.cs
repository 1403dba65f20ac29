namespace DynamoKad.Storage;

public sealed partial class StorageEngine
{
    // Every pending hint is held in memory (hints exist only while a replica is unreachable, so they
    // stay few); SQLite keeps them across restarts through the same WAL and checkpoint as records.
    private readonly SortedDictionary<long, HintRecord> _hints = [];
    private long _lastHintId;

    public async ValueTask<long> PutHintAsync(HintRecord hint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hint);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (hint.Target is not { Length: > 0 })
        {
            throw new StorageValidationException("The hint's target is empty; it must be the id of the node the write is held for.", "hint");
        }

        ValidateKey(hint.Key);
        ValidateVersion(hint.Version);
        var stored = hint with
        {
            Id = Interlocked.Increment(ref _lastHintId),
            Target = hint.Target.ToArray(),
            Key = hint.Key.ToArray(),
        };
        await _wal.Append(new StorageOp.HintPut(stored), out _).ConfigureAwait(false);
        return stored.Id;
    }

    public ValueTask<IReadOnlyList<HintRecord>> PeekHintsAsync(ReadOnlyMemory<byte> target, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var found = new List<HintRecord>(Math.Min(max, 1024));
        lock (_hints)
        {
            foreach (var hint in _hints.Values)
            {
                if (found.Count >= max)
                {
                    break;
                }

                if (target.IsEmpty || hint.Target.AsSpan().SequenceEqual(target.Span))
                {
                    found.Add(hint);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<HintRecord>>(found);
    }

    public async ValueTask RemoveHintAsync(long hintId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        lock (_hints)
        {
            if (!_hints.ContainsKey(hintId))
            {
                return;
            }
        }

        await _wal.Append(new StorageOp.HintRemove(hintId), out _).ConfigureAwait(false);
    }

    private void LoadHints()
    {
        foreach (var hint in _store.LoadHints())
        {
            _hints[hint.Id] = hint;
            _lastHintId = Math.Max(_lastHintId, hint.Id);
        }
    }
}
