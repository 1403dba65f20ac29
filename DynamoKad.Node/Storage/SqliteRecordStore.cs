using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace DynamoKad.Storage;

/// <summary>
/// The checkpointed state in one SQLite file: <c>records</c> (one row per key, its versions in one
/// blob, with a unique index on (SHA-1 of key, key) so a scan walks keys in hash order), <c>hints</c>,
/// and <c>meta</c> (schema version, node id, the LSN the last checkpoint covers). Only the checkpoint
/// writes; reads use a small pool of connections with prepared statements.
/// </summary>
internal sealed partial class SqliteRecordStore : IDisposable
{
    public const int SchemaVersion = 1;
    private const string CheckpointLsnName = "checkpoint_lsn";
    private const string NodeIdName = "node_id";
    private const string SchemaVersionName = "schema_version";
    private const int RowsPerInsert = 128;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly ConcurrentBag<Reader> _readers = [];
    private readonly object _writeGate = new();

    private SqliteRecordStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // The store keeps its own connections open for its lifetime; closing them must close the file.
            Pooling = false,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // FULL (not NORMAL) on the writer: a checkpoint commit must be on disk before the WAL
        // segments it covers are deleted. One fsync per checkpoint transaction costs nothing.
        Execute(_writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;");
        Execute(_writer, """
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS records (
                id INTEGER PRIMARY KEY,
                key_hash BLOB NOT NULL,
                key BLOB NOT NULL,
                versions BLOB NOT NULL,
                UNIQUE (key_hash, key));
            CREATE TABLE IF NOT EXISTS hints (
                id INTEGER PRIMARY KEY,
                target BLOB NOT NULL,
                key BLOB NOT NULL,
                clock BLOB NOT NULL,
                value BLOB NOT NULL,
                tombstone INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS hints_by_target ON hints (target, id);
            """);
    }

    public string Path { get; private init; } = string.Empty;

    /// <summary>Opens (creating when absent) the store and checks its schema version.</summary>
    public static SqliteRecordStore Open(string path)
    {
        var store = new SqliteRecordStore(path) { Path = path };
        try
        {
            var version = store.GetMeta(SchemaVersionName);
            if (version is null)
            {
                store.SetMeta(SchemaVersionName, BitConverter.GetBytes(SchemaVersion));
            }
            else if (BitConverter.ToInt32(version) != SchemaVersion)
            {
                throw new InvalidDataException(
                    $"The storage file '{path}' has schema version {BitConverter.ToInt32(version)}; this node understands {SchemaVersion}.");
            }

            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Every record at or below this LSN is in SQLite.</summary>
    public long CheckpointLsn => GetMeta(CheckpointLsnName) is { } bytes ? BitConverter.ToInt64(bytes) : 0;

    public byte[]? NodeId
    {
        get => GetMeta(NodeIdName);
        set => SetMeta(NodeIdName, value ?? []);
    }

    /// <summary>Passes every stored key hash to <paramref name="add"/>; returns how many keys there are.</summary>
    public long LoadKeyHashes(Action<byte[]> add)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT key_hash FROM records";
        using var result = command.ExecuteReader();
        long count = 0;
        while (result.Read())
        {
            add((byte[])result[0]);
            count++;
        }

        return count;
    }

    /// <summary>The key's versions, or null when SQLite holds no row for it.</summary>
    public IReadOnlyList<StoredVersion>? Read(byte[] keyHash, byte[] key)
    {
        var reader = RentReader();
        try
        {
            reader.KeyHash.Value = keyHash;
            reader.Key.Value = key;
            using var result = reader.Get.ExecuteReader();
            return result.Read() ? StorageCodec.DecodeVersions((byte[])result[0]) : null;
        }
        finally
        {
            _readers.Add(reader);
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> records in (hash, key) order, from <paramref name="fromHash"/>
    /// (inclusive) or strictly after (<paramref name="afterHash"/>, <paramref name="afterKey"/>), below
    /// <paramref name="toHash"/> (empty: the end).
    /// </summary>
    public List<StoredRecord> ScanPage(byte[] fromHash, byte[]? afterHash, byte[]? afterKey, byte[] toHash, int limit)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        var where = afterHash is null ? "key_hash >= $from" : "(key_hash, key) > ($afterHash, $afterKey)";
        if (toHash.Length > 0)
        {
            where += " AND key_hash < $to";
        }

        command.CommandText = $"SELECT key_hash, key, versions FROM records WHERE {where} ORDER BY key_hash, key LIMIT $limit";
        command.Parameters.AddWithValue("$from", fromHash);
        command.Parameters.AddWithValue("$afterHash", (object?)afterHash ?? DBNull.Value);
        command.Parameters.AddWithValue("$afterKey", (object?)afterKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$to", toHash);
        command.Parameters.AddWithValue("$limit", limit);
        var page = new List<StoredRecord>();
        using var result = command.ExecuteReader();
        while (result.Read())
        {
            page.Add(new StoredRecord((byte[])result[1], (byte[])result[0], StorageCodec.DecodeVersions((byte[])result[2])));
        }

        return page;
    }

    public List<HintRecord> LoadHints()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT id, target, key, clock, value, tombstone, created_at FROM hints ORDER BY id";
        using var result = command.ExecuteReader();
        var hints = new List<HintRecord>();
        while (result.Read())
        {
            hints.Add(new HintRecord(
                result.GetInt64(0),
                (byte[])result[1],
                (byte[])result[2],
                new StoredVersion((byte[])result[3], (byte[])result[4], result.GetInt64(5) != 0),
                DateTimeOffset.FromUnixTimeMilliseconds(result.GetInt64(6))));
        }

        return hints;
    }

    public void Dispose()
    {
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _writer.Dispose();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private byte[]? GetMeta(string name)
    {
        lock (_writeGate)
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE name = $name";
            command.Parameters.AddWithValue("$name", name);
            return command.ExecuteScalar() as byte[];
        }
    }

    private void SetMeta(string name, byte[] value, SqliteTransaction? transaction = null)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO meta (name, value) VALUES ($name, $value)";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private Reader RentReader() => _readers.TryTake(out var reader) ? reader : new Reader(_connectionString);

    /// <summary>A read connection with its point-read statement prepared once.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;

        public Reader(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            Execute(_connection, "PRAGMA busy_timeout=10000;");
            Get = _connection.CreateCommand();
            Get.CommandText = "SELECT versions FROM records WHERE key_hash = $h AND key = $k";
            KeyHash = Get.Parameters.Add(new SqliteParameter { ParameterName = "$h" });
            Key = Get.Parameters.Add(new SqliteParameter { ParameterName = "$k" });
            Get.Prepare();
        }

        public SqliteCommand Get { get; }

        public SqliteParameter KeyHash { get; }

        public SqliteParameter Key { get; }

        public void Dispose()
        {
            Get.Dispose();
            _connection.Dispose();
        }
    }
}
