using Microsoft.Data.Sqlite;

namespace DynamoKad.Storage;

internal sealed partial class SqliteRecordStore
{
    /// <summary>
    /// Applies <paramref name="writes"/> (at most one per key: each key's state to store) and <paramref name="hintOps"/>
    /// (in LSN order), and records <paramref name="lsn"/> as covered, in one transaction. Sorts
    /// <paramref name="writes"/> in place.
    /// </summary>
    public void Apply(List<StorageOp.KeyWrite> writes, IReadOnlyList<StorageOp> hintOps, long lsn)
    {
        lock (_writeGate)
        {
            using var transaction = _writer.BeginTransaction();
            using var delete = Prepare(transaction, "DELETE FROM records WHERE key_hash = $h AND key = $k", "$h", "$k");
            // In (hash, key) order: consecutive inserts land on the same index pages.
            writes.Sort(static (a, b) =>
            {
                var byHash = a.KeyHash.AsSpan().SequenceCompareTo(b.KeyHash);
                return byHash != 0 ? byHash : a.Key.AsSpan().SequenceCompareTo(b.Key);
            });
            var upserts = new List<StorageOp.KeyWrite>(writes.Count);
            foreach (var write in writes)
            {
                if (write.Versions.Count == 0)
                {
                    delete.Parameters[0].Value = write.KeyHash;
                    delete.Parameters[1].Value = write.Key;
                    delete.ExecuteNonQuery();
                }
                else
                {
                    upserts.Add(write);
                }
            }

            Upsert(transaction, upserts);

            using var putHint = Prepare(transaction,
                "INSERT OR REPLACE INTO hints (id, target, key, clock, value, tombstone, created_at) VALUES ($id, $t, $k, $c, $v, $d, $at)",
                "$id", "$t", "$k", "$c", "$v", "$d", "$at");
            using var removeHint = Prepare(transaction, "DELETE FROM hints WHERE id = $id", "$id");
            foreach (var op in hintOps)
            {
                switch (op)
                {
                    case StorageOp.HintPut { Hint: var hint }:
                        putHint.Parameters[0].Value = hint.Id;
                        putHint.Parameters[1].Value = hint.Target;
                        putHint.Parameters[2].Value = hint.Key;
                        putHint.Parameters[3].Value = hint.Version.Clock;
                        putHint.Parameters[4].Value = hint.Version.Value;
                        putHint.Parameters[5].Value = hint.Version.Tombstone ? 1 : 0;
                        putHint.Parameters[6].Value = hint.CreatedAt.ToUnixTimeMilliseconds();
                        putHint.ExecuteNonQuery();
                        break;
                    case StorageOp.HintRemove { Id: var id }:
                        removeHint.Parameters[0].Value = id;
                        removeHint.ExecuteNonQuery();
                        break;
                }
            }

            SetMeta(CheckpointLsnName, BitConverter.GetBytes(lsn), transaction);
            transaction.Commit();
        }
    }

    /// <summary>
    /// Many rows per INSERT statement: the per-statement cost of the ADO.NET layer, not SQLite's own
    /// work, dominated row-at-a-time inserts.
    /// </summary>
    private void Upsert(SqliteTransaction transaction, List<StorageOp.KeyWrite> writes)
    {
        SqliteCommand? full = null;
        try
        {
            for (var start = 0; start < writes.Count; start += RowsPerInsert)
            {
                var count = Math.Min(RowsPerInsert, writes.Count - start);
                using var partial = count == RowsPerInsert ? null : PrepareUpsert(transaction, count);
                var command = partial ?? (full ??= PrepareUpsert(transaction, RowsPerInsert));
                for (var i = 0; i < count; i++)
                {
                    var write = writes[start + i];
                    command.Parameters[3 * i].Value = write.KeyHash;
                    command.Parameters[(3 * i) + 1].Value = write.Key;
                    command.Parameters[(3 * i) + 2].Value = StorageCodec.EncodeVersions(write.Versions);
                }

                command.ExecuteNonQuery();
            }
        }
        finally
        {
            full?.Dispose();
        }
    }

    private SqliteCommand PrepareUpsert(SqliteTransaction transaction, int rows)
    {
        var values = string.Join(", ", Enumerable.Range(0, rows).Select(i => $"($h{i}, $k{i}, $v{i})"));
        var names = Enumerable.Range(0, rows).SelectMany(i => new[] { $"$h{i}", $"$k{i}", $"$v{i}" }).ToArray();
        return Prepare(transaction, $"INSERT OR REPLACE INTO records (key_hash, key, versions) VALUES {values}", names);
    }
}
