using System.Diagnostics;

namespace DynamoKad.Storage;

internal sealed partial class WriteAheadLog
{
    /// <summary>Flusher statistics (written by the flusher only; read approximately).</summary>
    public sealed class FlusherCounters
    {
        private long _batches;
        private long _records;
        private long _syncTicks;
        private long _callbackTicks;

        public long Batches => Volatile.Read(ref _batches);

        public long Records => Volatile.Read(ref _records);

        public TimeSpan SyncTime => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _syncTicks));

        public TimeSpan CallbackTime => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _callbackTicks));

        public void Record(int records, long syncTicks, long callbackTicks)
        {
            Volatile.Write(ref _batches, _batches + 1);
            Volatile.Write(ref _records, _records + records);
            Volatile.Write(ref _syncTicks, _syncTicks + syncTicks);
            Volatile.Write(ref _callbackTicks, _callbackTicks + callbackTicks);
        }

        public override string ToString() => Batches == 0
            ? "no batches"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Batches} batches, {(double)Records / Batches:0.0} records/batch, write+fsync {SyncTime.TotalMilliseconds * 1000 / Batches:0} us/batch, callback {CallbackTime.TotalMilliseconds * 1000 / Batches:0} us/batch");
    }

    /// <summary>The frames of one group commit and the task its appenders await.</summary>
    private sealed class Batch
    {
        private byte[] _buffer = new byte[InitialBatchBytes];

        public int Length { get; private set; }

        public long FirstLsn { get; set; }

        public long LastLsn => FirstLsn + Payloads.Count - 1;

        public List<IWalPayload> Payloads { get; } = new(256);

        public TaskCompletionSource Done { get; private set; } = NewCompletion();

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

        public Span<byte> Reserve(int size)
        {
            if (Length + size > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + size));
            }

            var span = _buffer.AsSpan(Length, size);
            Length += size;
            return span;
        }

        public void Reset()
        {
            Length = 0;
            Payloads.Clear();
            Done = NewCompletion();
            if (_buffer.Length > RetainedBatchBytes)
            {
                _buffer = new byte[InitialBatchBytes];
            }
        }

        // Continuations run on the pool, never inline on the flusher, so one slow caller cannot delay the next fsync.
        private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
