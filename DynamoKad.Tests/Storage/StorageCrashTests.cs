using System.Diagnostics;
using DynamoKad.Storage;
using static DynamoKad.Tests.Storage.StorageEngineFixture;

namespace DynamoKad.Tests.Storage;

/// <summary>
/// A child process (the node's hidden <c>storage-crash-writer</c> verb) writes with durability Always
/// and prints each key once acknowledged; the test SIGKILLs it mid-stream and checks every printed key.
/// </summary>
public sealed class StorageCrashTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EveryAcknowledgedKeySurvivesSigkillAtRandomMoments()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var dataDir = _dir.Sub("store");
        var acknowledged = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            var killAfter = random.Next(1, 600);
            var extraDelayMs = random.Next(0, 15);
            var keys = await RunAndKillAsync(dataDir, $"r{round}-", killAfter, extraDelayMs);
            Assert.True(keys.Count >= killAfter, $"seed {seed} round {round}: the writer acknowledged only {keys.Count} keys");
            acknowledged.AddRange(keys);

            // Reopen after every kill: each round also recovers on top of the previous recoveries.
            await using var engine = Open(dataDir);
            foreach (var key in acknowledged)
            {
                var versions = await engine.ReadAsync(Key(key));
                Assert.True(versions.Count == 1, $"seed {seed} round {round} (killed after {killAfter} acks + {extraDelayMs} ms): acknowledged key {key} is missing");
                Assert.Equal(StorageCrashWriterCommand.ValueFor(key), versions[0].Value);
            }
        }
    }

    private static async Task<List<string>> RunAndKillAsync(string dataDir, string prefix, int killAfter, int extraDelayMs)
    {
        var nodeDll = Path.Combine(AppContext.BaseDirectory, "DynamoKad.Node.dll");
        Assert.True(File.Exists(nodeDll), $"{nodeDll} not found next to the test assembly");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { nodeDll, "storage-crash-writer", "--data-dir", dataDir, "--prefix", prefix, "--writers", "16" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var keys = new List<string>();
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
            if (ready != "ready")
            {
                Assert.Fail($"the writer did not start: {ready} {await ReadErrorAsync(process)}");
            }

            while (keys.Count < killAfter)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
                if (line is null)
                {
                    Assert.Fail($"the writer exited early: {await ReadErrorAsync(process)}");
                }

                keys.Add(line);
            }

            if (extraDelayMs > 0)
            {
                await Task.Delay(extraDelayMs);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Unix
        }

        // Lines printed before the kill were acknowledged too; a torn last line was not fully reported.
        var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(Timeout);
        var lines = rest.Split('\n');
        keys.AddRange(lines.Take(lines.Length - 1).Where(l => l.Length > 0));
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return keys;
    }

    private static async Task<string> ReadErrorAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        return await process.StandardError.ReadToEndAsync().WaitAsync(Timeout);
    }
}
