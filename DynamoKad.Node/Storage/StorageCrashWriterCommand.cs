using System.CommandLine;
using System.Text;

namespace DynamoKad.Storage;

/// <summary>
/// <c>storage-crash-writer</c> (hidden): the child process of the crash tests. Writes keys with
/// durability Always from several concurrent writers and prints each key on stdout only after its
/// write was acknowledged, until killed (or <c>--count</c> keys are written).
/// </summary>
internal static class StorageCrashWriterCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Storage directory.", Required = true };
        var writers = new Option<int>("--writers") { Description = "Concurrent writers.", DefaultValueFactory = _ => 8 };
        var count = new Option<long>("--count") { Description = "Stop after this many keys (0: until killed).", DefaultValueFactory = _ => 0 };
        var segmentSize = new Option<long>("--segment-size") { Description = "WAL segment size in bytes.", DefaultValueFactory = _ => 64 * 1024 };
        var prefix = new Option<string>("--prefix") { Description = "Key prefix.", DefaultValueFactory = _ => "k" };
        var command = new Command("storage-crash-writer", "Test helper: write and report acknowledged keys until killed.")
        {
            dataDir, writers, count, segmentSize, prefix,
        };
        command.Hidden = true;
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new StorageOptions
            {
                DataDir = result.GetValue(dataDir),
                Durability = DurabilityMode.Always,
                SegmentSizeBytes = result.GetValue(segmentSize),
                // Checkpoint often so kills land in every phase: mid-append, mid-checkpoint, mid-trim.
                CheckpointIntervalMs = 20,
            };
            var keyPrefix = result.GetValue(prefix)!;
            var limit = result.GetValue(count);
            var output = Console.Out;
            var outputGate = new object();
            long next = 0;
            await using var engine = StorageEngine.Open(options);
            lock (outputGate)
            {
                output.WriteLine("ready");
                output.Flush();
            }

            var tasks = Enumerable.Range(0, result.GetValue(writers)).Select(_ => Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var n = Interlocked.Increment(ref next);
                    if (limit > 0 && n > limit)
                    {
                        return;
                    }

                    var key = $"{keyPrefix}{n}";
                    var version = new StoredVersion([1], ValueFor(key), false);
                    await engine.ApplyAsync(Encoding.UTF8.GetBytes(key), _ => [version], cancellationToken);
                    lock (outputGate)
                    {
                        output.WriteLine(key);
                        output.Flush();
                    }
                }
            }, cancellationToken));
            await Task.WhenAll(tasks);
            return 0;
        });
        return command;
    }

    /// <summary>The value written for a key, so a reader can check it came back whole.</summary>
    public static byte[] ValueFor(string key) => Encoding.UTF8.GetBytes($"value-of-{key}-{new string('x', 64)}");
}
