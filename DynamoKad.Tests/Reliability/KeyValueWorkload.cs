using DynamoKad.Protos.V1;
using DynamoKad.Tests.Reliability.History;
using DynamoKad.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// Concurrent clients on a small key space, so writes collide: gets, read-modify-write puts (with the read's
/// context), blind puts (which must become siblings), optionally puts with the client's own last put context,
/// and read-then-delete. Every call is recorded in the history; each client's choices come from the run's seed.
/// Values are unique ("c3-17" is client 3's 17th put), so a value names the put that wrote it.
/// </summary>
internal sealed class KeyValueWorkload(StandaloneCluster cluster, HistoryRecorder history, WorkloadOptions options)
{
    public IReadOnlyList<string> Keys { get; } =
        [.. Enumerable.Range(0, options.Keys).Select(k => $"{options.KeyPrefix}/k{k}")];

    public async Task RunAsync(int seed, TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = history.NowMs + duration.TotalMilliseconds;
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(c => Task.Run(() => ClientAsync(c, seed, until, cancellationToken), cancellationToken)));
    }

    private async Task ClientAsync(int client, int seed, double untilMs, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, client));
        var ownContexts = new Dictionary<string, Operation>();
        var sequence = 0;
        while (history.NowMs < untilMs && !cancellationToken.IsCancellationRequested)
        {
            var key = Keys[random.Next(Keys.Count)];
            var node = options.Coordinators[random.Next(options.Coordinators.Count)];
            var roll = random.NextDouble();
            bool ok;
            if (roll < 0.30)
            {
                ok = await GetAsync(client, node, key) is not null;
            }
            else if (roll < 0.55)
            {
                var read = await GetAsync(client, node, key);
                ok = read is not null && await PutAsync(client, node, key, $"c{client}-{sequence++}", read, ownContexts);
            }
            else if (roll < 0.75)
            {
                ok = await PutAsync(client, node, key, $"c{client}-{sequence++}", null, ownContexts);
            }
            else if (roll < 0.87)
            {
                var context = options.OwnPutContexts ? ownContexts.GetValueOrDefault(key) : null;
                ok = await PutAsync(client, node, key, $"c{client}-{sequence++}", context, ownContexts);
            }
            else
            {
                var read = await GetAsync(client, node, key);
                ok = read is null || read.ValuesRead.Count == 0 || await DeleteAsync(client, node, key, read);
            }

            if (!ok)
            {
                // A dead coordinator refuses at once; do not spin on it.
                await Task.Delay(random.Next(10, 60), CancellationToken.None);
            }
        }
    }

    /// <summary>The recorded get (its answer carries the context), or null when it failed.</summary>
    private async Task<Operation?> GetAsync(int client, int node, string key)
    {
        var op = history.Invoke(client, node, OperationKind.Get, key);
        try
        {
            var response = await cluster.Client(node).GetAsync(
                new GetRequest { Key = ByteString.CopyFromUtf8(key), Quorum = Quorum() },
                deadline: Deadline());
            history.Ok(op, [.. response.Siblings.Select(s => s.Value.ToStringUtf8())], response.Context);
            return op;
        }
        catch (RpcException ex)
        {
            Failed(op, ex);
            return null;
        }
    }

    private async Task<bool> PutAsync(int client, int node, string key, string value, Operation? contextFrom, Dictionary<string, Operation> ownContexts)
    {
        var op = history.Invoke(client, node, OperationKind.Put, key, value, contextFrom);
        try
        {
            var response = await cluster.Client(node).PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Context = op.ContextIn, Quorum = Quorum() },
                deadline: Deadline());
            history.Ok(op, [.. response.Siblings.Select(s => s.Value.ToStringUtf8())], response.Context);
            ownContexts[key] = op;
            return true;
        }
        catch (RpcException ex)
        {
            Failed(op, ex);
            return false;
        }
    }

    private async Task<bool> DeleteAsync(int client, int node, string key, Operation contextFrom)
    {
        var op = history.Invoke(client, node, OperationKind.Delete, key, contextFrom: contextFrom);
        try
        {
            await cluster.Client(node).DeleteAsync(
                new DeleteRequest { Key = ByteString.CopyFromUtf8(key), Context = op.ContextIn, Quorum = Quorum() },
                deadline: Deadline());
            history.Ok(op);
            return true;
        }
        catch (RpcException ex)
        {
            Failed(op, ex);
            return false;
        }
    }

    /// <summary>
    /// An answer from the node (quorum not reached, bad argument) is a failure; anything else (deadline,
    /// connection refused or reset) is unknown. Neither makes a write certain not to have happened.
    /// </summary>
    private void Failed(Operation op, RpcException ex)
    {
        var answered = ex.StatusCode == StatusCode.InvalidArgument
            || (ex.StatusCode == StatusCode.Unavailable && ex.Status.Detail.Contains("replicas required", StringComparison.Ordinal));
        history.Complete(op, answered ? Outcome.Fail : Outcome.Unknown, $"{ex.StatusCode}: {ex.Status.Detail}");
    }

    private Quorum? Quorum() => options.Quorum;

    private DateTime Deadline() => DateTime.UtcNow.Add(options.OperationTimeout);
}
