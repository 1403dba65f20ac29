using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using DynamoKad.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DynamoKad.Storage;

/// <summary>
/// The storage facade: a group-committed write-ahead log is the durability point, a memtable serves
/// every acknowledged write at once, and a background checkpoint moves logged batches into SQLite
/// (<see cref="SqliteRecordStore"/>) and trims the log. SQLite is never on the acknowledgement path of
/// a write, except to read a key's current versions when the memtable does not hold them.
/// </summary>
public sealed partial class StorageEngine : IStorageEngine
{
    public const string WalDirectoryName = "wal";
    public const string DatabaseFileName = "records.db";

    // Applies to one key are serialized by the stripe its hash falls in: enough stripes that 64
    // writers of different keys rarely wait on each other's fsync.
    private const int LockStripes = 4096;
    private static readonly IReadOnlyList<StoredVersion> NoVersions = [];

    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SqliteRecordStore _store;
    private readonly ConcurrentDictionary<byte[], StorageOp.KeyWrite> _memtable = new(ByteArrayComparer.Instance);

    // Keys the checkpoint moved to SQLite, each exactly as its SQLite row (see StorageEngine.Checkpoint.cs).
    private readonly ConcurrentDictionary<byte[], IReadOnlyList<StoredVersion>> _clean = new(ByteArrayComparer.Instance);
    private long _cleanBytes;
    private readonly SemaphoreSlim[] _locks = new SemaphoreSlim[LockStripes];
    private readonly KeyDirectory _keyDirectory = new();
    private WriteAheadLog _wal = null!;
    private long _keys;
    private long _appliedWrites;
    private int _closed;

    private StorageEngine(StorageOptions options, SqliteRecordStore store, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _time = time;
        _logger = logger;
        for (var i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new SemaphoreSlim(1, 1);
        }
    }

    /// <summary>Records replayed from the WAL at open (0 after a clean shutdown).</summary>
    public long RecoveredRecords { get; private set; }

    /// <summary>The directory holding <c>wal/</c> and <c>records.db</c>.</summary>
    public string DataDir => _options.DataDir!;

    /// <summary>Group-commit statistics of the engine's WAL (batches, records per batch, fsync time).</summary>
    internal WriteAheadLog.FlusherCounters WalCounters => _wal.Counters;

    /// <summary>Set when the log failed to write or fsync: the engine then refuses writes.</summary>
    public Exception? Fault => _wal.Fault;

    /// <summary>
    /// Opens the engine in <see cref="StorageOptions.DataDir"/>, creating it when new, and recovers: the
    /// SQLite state plus every whole WAL record past its last checkpoint.
    /// </summary>
    /// <param name="nodeId">When given, recorded in the store's metadata; a store written by another node id is refused.</param>
    /// <exception cref="InvalidDataException">The store belongs to another node or has an unknown schema.</exception>
    public static StorageEngine Open(StorageOptions options, TimeProvider? time = null, byte[]? nodeId = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:DataDir must be set to open the storage engine.", nameof(options));
        }

        Directory.CreateDirectory(options.DataDir);
        var store = SqliteRecordStore.Open(Path.Combine(options.DataDir, DatabaseFileName));
        try
        {
            CheckNodeId(store, nodeId);
            var engine = new StorageEngine(options, store, time ?? TimeProvider.System, logger ?? NullLogger.Instance);
            engine.Recover();
            return engine;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public ValueTask<IReadOnlyList<StoredVersion>> ReadAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key.Span);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        var keyBytes = key.ToArray();
        return ValueTask.FromResult(Current(keyBytes, null));
    }

    public ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        ReadOnlyMemory<byte> key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default)
    {
        ValidateKey(key.Span);
        return ApplyAsync(HashedKey.Of(key.ToArray()), merge, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        HashedKey key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(merge);
        ValidateKey(key.Key);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        var keyBytes = key.Key;
        var keyHash = key.Hash;
        var gate = _locks[BinaryPrimitives.ReadUInt16BigEndian(keyHash) % LockStripes];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Current(keyBytes, keyHash, out var held);
            var result = merge(current);
            if (ReferenceEquals(result, current))
            {
                return current;
            }

            ArgumentNullException.ThrowIfNull(result, nameof(merge));
            var versions = result.ToArray();
            foreach (var version in versions)
            {
                ValidateVersion(version);
            }

            // A key the memtable holds keeps that entry's key and hash arrays: the caller's copies then die young,
            // and only the new versions outlive the next collection.
            var op = held is null
                ? new StorageOp.KeyWrite(keyBytes, keyHash, versions)
                : new StorageOp.KeyWrite(held.Key, held.KeyHash, versions);
            // Not cancellable from here: the record may already be durable, and the memtable (updated
            // by the flusher) must reflect it before the next apply to this key reads it.
            using (var activity = DynamoKadTelemetry.Source.StartActivity("wal.append"))
            {
                // The span covers the wait for the group commit's fsync: that is what a replica's ack waits for.
                activity?.SetTag("dynamokad.versions", versions.Length);
                await _wal.Append(op, out _).ConfigureAwait(false);
            }

            Interlocked.Add(ref _keys, (versions.Length > 0 ? 1 : 0) - (current.Count > 0 ? 1 : 0));
            Interlocked.Increment(ref _appliedWrites);
            return versions;
        }
        finally
        {
            gate.Release();
        }
    }

    public StorageStats GetStats()
    {
        int hints;
        lock (_hints)
        {
            hints = _hints.Count;
        }

        var lastCheckpoint = Volatile.Read(ref _lastCheckpointTicks);
        return new StorageStats(
            Interlocked.Read(ref _keys),
            hints,
            _wal.Bytes,
            _wal.SegmentCount,
            lastCheckpoint == 0 ? null : new DateTimeOffset(lastCheckpoint, TimeSpan.Zero),
            Interlocked.Read(ref _appliedWrites));
    }

    /// <summary>
    /// Makes everything acknowledged durable, checkpoints it all into SQLite and closes the files:
    /// after a clean close the WAL is empty and the next open replays nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        await StopCheckpointLoopAsync().ConfigureAwait(false);
        await _wal.DisposeAsync().ConfigureAwait(false);
        try
        {
            if (_wal.Fault is null)
            {
                while (CheckpointOnce() > 0)
                {
                }

                _wal.DeleteAllIfCovered(_store.CheckpointLsn);
            }
        }
        finally
        {
            // The stripe semaphores are left to the GC: an apply still unwinding must be able to release one.
            _store.Dispose();
        }
    }

    private static void CheckNodeId(SqliteRecordStore store, byte[]? nodeId)
    {
        if (nodeId is not { Length: > 0 })
        {
            return;
        }

        var stored = store.NodeId;
        if (stored is not { Length: > 0 })
        {
            store.NodeId = nodeId;
        }
        else if (!stored.AsSpan().SequenceEqual(nodeId))
        {
            throw new InvalidDataException(
                $"The storage in '{Path.GetDirectoryName(store.Path)}' belongs to node {Convert.ToHexStringLower(stored)}, not {Convert.ToHexStringLower(nodeId)}; point this node at its own data directory.");
        }
    }

    /// <summary>The versions stored for a key: the memtable first, else the checkpointed row.</summary>
    private IReadOnlyList<StoredVersion> Current(byte[] key, byte[]? keyHash) => Current(key, keyHash, out _);

    /// <summary>The versions stored for a key, and its memtable entry when it has one.</summary>
    private IReadOnlyList<StoredVersion> Current(byte[] key, byte[]? keyHash, out StorageOp.KeyWrite? held)
    {
        if (_memtable.TryGetValue(key, out held))
        {
            return held.Versions;
        }

        if (_clean.TryGetValue(key, out var clean))
        {
            return clean;
        }

        keyHash ??= SHA1.HashData(key);
        return _keyDirectory.MayContain(keyHash) ? _store.Read(keyHash, key) ?? NoVersions : NoVersions;
    }

    private void Recover()
    {
        _keys = _store.LoadKeyHashes(hash => _keyDirectory.Add(hash));
        LoadHints();
        var checkpointLsn = _store.CheckpointLsn;
        _checkpointedLsn = checkpointLsn;
        _appliedLsn = checkpointLsn;
        long recovered = 0;
        _wal = WriteAheadLog.Open(
            Path.Combine(_options.DataDir!, WalDirectoryName),
            WalSettings.From(_options),
            checkpointLsn + 1,
            (lsn, payload) =>
            {
                if (lsn <= checkpointLsn)
                {
                    return;
                }

                var op = StorageOp.Decode(payload, lsn);
                if (op is StorageOp.KeyWrite write)
                {
                    var before = Current(write.Key, write.KeyHash).Count > 0 ? 1 : 0;
                    _keys += (write.Versions.Count > 0 ? 1 : 0) - before;
                }
                else if (op is StorageOp.HintPut put)
                {
                    _lastHintId = Math.Max(_lastHintId, put.Hint.Id);
                }

                ApplyToMemory(op);
                _appliedLsn = lsn;
                recovered++;
            },
            OnDurable,
            _time);
        RecoveredRecords = recovered;
        if (recovered > 0)
        {
            _logger.LogInformation("Storage recovered {Records} WAL records past checkpoint LSN {Lsn} in {DataDir}", recovered, checkpointLsn, _options.DataDir);
        }

        StartCheckpointLoop();
    }

    /// <summary>On the flusher, in LSN order, once a batch is durable and before its appends complete.</summary>
    private void OnDurable(long firstLsn, List<IWalPayload> payloads)
    {
        for (var i = 0; i < payloads.Count; i++)
        {
            var op = (StorageOp)payloads[i];
            op.Lsn = firstLsn + i;
            ApplyToMemory(op);
        }

        var applied = firstLsn + payloads.Count - 1;
        Volatile.Write(ref _appliedLsn, applied);
        if (applied - Volatile.Read(ref _checkpointedLsn) >= _options.CheckpointMaxPendingWrites)
        {
            Volatile.Read(ref _checkpointKick).TrySetResult();
        }
    }

    private void ApplyToMemory(StorageOp op)
    {
        switch (op)
        {
            case StorageOp.KeyWrite write:
                _memtable[write.Key] = write;
                break;
            case StorageOp.HintPut put:
                lock (_hints)
                {
                    _hints[put.Hint.Id] = put.Hint;
                }

                _hintOps.Enqueue(op);
                break;
            case StorageOp.HintRemove remove:
                lock (_hints)
                {
                    _hints.Remove(remove.Id);
                }

                _hintOps.Enqueue(op);
                break;
        }
    }
}
