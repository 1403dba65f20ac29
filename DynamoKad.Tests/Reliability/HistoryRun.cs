using System.Diagnostics;
using DynamoKad.Protos.V1;
using DynamoKad.Tests.Reliability.History;
using DynamoKad.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// One Jepsen-style run against a <see cref="StandaloneCluster"/>: the workload and the nemesis side by side,
/// then heal, wait until every replica of every key holds the same versions (timed), read every key at R=N
/// and check the history. The steps are public so a negative control can break something between them.
/// </summary>
internal sealed class HistoryRun(StandaloneCluster cluster, int seed, Action<string> log)
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    public HistoryRecorder History { get; } = new();

    public KeyValueWorkload? Workload { get; private set; }

    public int Seed => seed;

    /// <summary>Runs <paramref name="workload"/> for <paramref name="duration"/> while the nemesis plays the seeded schedule.</summary>
    /// <param name="healAfter">False leaves dead nodes dead (the negative control breaks something first).</param>
    public async Task RunAsync(WorkloadOptions workload, TimeSpan duration, IReadOnlyList<FaultKind> faults, bool healAfter = true, CancellationToken cancellationToken = default)
    {
        Workload = new KeyValueWorkload(cluster, History, workload);
        var schedule = faults.Count == 0 ? [] : Nemesis.Schedule(seed, duration, cluster.Nodes.Count, faults);
        log($"seed {seed}: {workload.Clients} clients on {workload.Keys} keys for {duration.TotalSeconds:0} s; nemesis schedule ({schedule.Count} faults):");
        foreach (var step in schedule)
        {
            log("  " + step);
        }

        var nemesis = new Nemesis(cluster, History);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clients = Workload.RunAsync(seed, duration, stop.Token);
        var faultsTask = nemesis.RunAsync(schedule, stop.Token);
        try
        {
            // The clients stop on time; the nemesis (whose restarts can run late on a loaded machine) stops with them.
            await clients.WaitAsync(duration + TimeSpan.FromMinutes(2), cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await faultsTask.WaitAsync(TimeSpan.FromMinutes(2), CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                // Stopped mid-schedule, as intended.
            }

            if (healAfter)
            {
                await nemesis.HealAsync(CancellationToken.None);
            }
        }

        FaultsInjected = nemesis.FaultsInjected;
    }

    public int FaultsInjected { get; private set; }

    /// <summary>
    /// Restarts dead nodes, clears faults, waits for the cluster to take full-quorum writes again, then polls
    /// until every key has converged. Returns the time from the heal to convergence.
    /// </summary>
    public async Task<TimeSpan> HealAndConvergeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await new Nemesis(cluster, History).HealAsync(cancellationToken);
        await cluster.WaitReadyAsync(cancellationToken);
        History.Nemesis("healed; waiting for convergence");
        var keys = Workload?.Keys ?? [];
        var pending = keys.ToHashSet();
        var lastReason = new Dictionary<string, string>();
        while (pending.Count > 0)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"seed {seed}: {pending.Count} keys had not converged {timeout.TotalSeconds:0} s after the heal: " +
                    string.Join("; ", pending.Take(5).Select(k => $"{k}: {lastReason.GetValueOrDefault(k)}")));
            }

            foreach (var key in pending.ToList())
            {
                var reason = await DivergenceAsync(key, cancellationToken);
                if (reason is null)
                {
                    pending.Remove(key);
                }
                else
                {
                    lastReason[key] = reason;
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(250, cancellationToken);
            }
        }

        History.Nemesis("converged");
        return clock.Elapsed;
    }

    /// <summary>Reads every key of the workload at R=N (retrying while a quorum is briefly unreachable).</summary>
    public async Task<Dictionary<string, IReadOnlyList<string>>> ReadFinalStateAsync(CancellationToken cancellationToken = default)
    {
        var final = new Dictionary<string, IReadOnlyList<string>>();
        var n = (uint)cluster.ReplicationFactor;
        var i = 0;
        foreach (var key in Workload?.Keys ?? [])
        {
            var node = cluster.Nodes[i++ % cluster.Nodes.Count];
            var response = await RetryAsync(() => cluster.Client(node.Index).GetAsync(
                new GetRequest { Key = ByteString.CopyFromUtf8(key), Quorum = new Quorum { R = n } },
                deadline: DateTime.UtcNow.Add(ReadTimeout), cancellationToken: cancellationToken).ResponseAsync);
            final[key] = [.. response.Siblings.Select(s => s.Value.ToStringUtf8())];
        }

        return final;
    }

    /// <summary>Writes the whole history to a file under the temp directory when the check failed; returns its path.</summary>
    public string? SaveOnFailure(CheckResult result)
    {
        if (result.IsValid)
        {
            return null;
        }

        var path = Path.Combine(Path.GetTempPath(), $"dynamokad-history-{seed}.txt");
        File.WriteAllText(path, $"seed {seed}\n{result.Summary()}\n\n{result.Dump(History)}\n");
        return path;
    }

    public CheckResult Check(IReadOnlyDictionary<string, IReadOnlyList<string>> final, bool checkStaleReads) =>
        HistoryChecker.Check(History.Operations, final, checkStaleReads);

    /// <summary>
    /// Null when every preferred replica of <paramref name="key"/> holds the very same versions (the replica
    /// inspector, which reads each replica's local storage without repairing anything), else why not.
    /// </summary>
    private async Task<string?> DivergenceAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var inspection = await cluster.Admin(0).InspectKeyAsync(
                new InspectKeyRequest { Key = ByteString.CopyFromUtf8(key) },
                deadline: DateTime.UtcNow.Add(ReadTimeout), cancellationToken: cancellationToken);
            var preferred = inspection.Replicas.Where(r => r.Preferred).ToList();
            if (preferred.Count < cluster.ReplicationFactor || preferred.Any(r => !r.Reachable))
            {
                return $"{preferred.Count(r => r.Reachable)} of {cluster.ReplicationFactor} preferred replicas reachable";
            }

            var signatures = preferred.Select(r => Signature(r.Versions)).Distinct().Count();
            if (signatures > 1)
            {
                return string.Join(" | ", preferred.Select(r => $"{r.NodeId[..8]}: {r.Versions.Count} versions"));
            }

            return inspection.Hints.Count > 0 ? $"{inspection.Hints.Count} hints still pending" : null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            return await DivergenceByReadAsync(key, cancellationToken);
        }
        catch (RpcException ex)
        {
            return $"inspector: {ex.StatusCode} {ex.Status.Detail}";
        }
    }

    /// <summary>
    /// For a node without the replica inspector: a read at R=N that every replica answered and that found
    /// nothing to repair saw the same versions everywhere. (The read itself repairs, so this converges faster.)
    /// </summary>
    private async Task<string?> DivergenceByReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var n = cluster.ReplicationFactor;
            var read = await cluster.Client(0).GetAsync(
                new GetRequest { Key = ByteString.CopyFromUtf8(key), Quorum = new Quorum { R = (uint)n } },
                deadline: DateTime.UtcNow.Add(ReadTimeout), cancellationToken: cancellationToken);
            return read.ReplicasAnswered < n ? $"{read.ReplicasAnswered} of {n} answered"
                : read.ReadRepairScheduled ? "read repair scheduled"
                : null;
        }
        catch (RpcException ex)
        {
            return $"read: {ex.StatusCode} {ex.Status.Detail}";
        }
    }

    private static string Signature(IEnumerable<VersionView> versions) =>
        string.Join(";", versions
            .Select(v => $"{v.Tombstone}:{Convert.ToHexString(v.Value.Span)}:" +
                string.Join(",", v.Clock.Entries.Select(e => $"{Convert.ToHexString(e.NodeId.Span)}={e.Counter}").Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal));

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(250);
            }
        }
    }
}
