using System.Diagnostics;
using System.Globalization;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Support;

/// <summary>
/// N real node processes (the built DynamoKad.Node.dll next to the test assembly) on free loopback ports,
/// every node seeded with every node, each with its own data directory under one temporary root that
/// <see cref="DisposeAsync"/> kills and deletes. Unlike the Aspire fixture, nodes can be SIGKILLed and
/// restarted over the same data directory, which is what crash and nemesis tests need.
/// </summary>
public sealed class StandaloneCluster : IAsyncDisposable
{
    private readonly StandaloneClusterOptions _options;
    private readonly List<StandaloneNode> _nodes = [];

    private StandaloneCluster(StandaloneClusterOptions options)
    {
        _options = options;
        Root = Path.Combine(Path.GetTempPath(), "dynamokad-standalone-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public static string NodeDll => Path.Combine(AppContext.BaseDirectory, "DynamoKad.Node.dll");

    /// <summary>The temporary directory holding every node's data directory and log.</summary>
    public string Root { get; }

    public IReadOnlyList<StandaloneNode> Nodes => _nodes;

    public StandaloneNode this[int index] => _nodes[index];

    /// <summary>The replication factor the nodes run with (the <c>DynamoKad:Replication:N</c> setting, default 3).</summary>
    public int ReplicationFactor =>
        _options.Settings.TryGetValue("DynamoKad:Replication:N", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 3;

    /// <summary>Starts the nodes and waits until every node is healthy and can reach a full preference list.</summary>
    public static async Task<StandaloneCluster> StartAsync(StandaloneClusterOptions options, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(NodeDll))
        {
            throw new FileNotFoundException($"{NodeDll} not found next to the test assembly.", NodeDll);
        }

        var cluster = new StandaloneCluster(options);
        try
        {
            for (var i = 0; i < options.NodeCount; i++)
            {
                var index = i;
                var dataDir = Path.Combine(cluster.Root, $"node{i}");
                Directory.CreateDirectory(dataDir);
                cluster._nodes.Add(new StandaloneNode(i, dataDir, Path.Combine(cluster.Root, $"node{i}.log"), () => cluster.ArgumentsFor(index)));
            }

            // The first node starts alone so the others find a live seed at once instead of backing off.
            cluster._nodes[0].Start();
            await cluster._nodes[0].WaitHealthyAsync(options.StartTimeout, cancellationToken);
            foreach (var node in cluster._nodes.Skip(1))
            {
                node.Start();
            }

            await cluster.WaitReadyAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public KeyValue.KeyValueClient Client(int index) => new(_nodes[index].Channel);

    public Admin.AdminClient Admin(int index) => new(_nodes[index].Channel);

    /// <summary>
    /// Every running node healthy, then a probe write through each running node acknowledged by a full
    /// preference list (min(N, running nodes)): health alone says only that the routing table is not empty.
    /// </summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken = default)
    {
        var running = _nodes.Where(n => n.IsRunning).ToList();
        foreach (var node in running)
        {
            await node.WaitHealthyAsync(_options.StartTimeout, cancellationToken);
        }

        var required = Math.Min(ReplicationFactor, running.Count);
        var clock = Stopwatch.StartNew();
        foreach (var node in running)
        {
            var attempt = 0;
            var last = "";
            while (true)
            {
                if (clock.Elapsed > _options.StartTimeout)
                {
                    throw new TimeoutException(
                        $"{node.Name} could not write to {required} replicas within {_options.StartTimeout.TotalSeconds:0} s (last: {last}). Log tail:\n{node.TailLog(30)}");
                }

                try
                {
                    var probe = new PutRequest
                    {
                        Key = ByteString.CopyFromUtf8($"__ready/{node.Name}/{attempt++}"),
                        Value = ByteString.CopyFromUtf8("probe"),
                        Quorum = new Quorum { W = (uint)required },
                    };
                    var put = await Client(node.Index).PutAsync(probe, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken);
                    if (put.Acks >= required)
                    {
                        break;
                    }

                    last = $"{put.Acks} acks";
                }
                catch (RpcException ex)
                {
                    last = $"{ex.StatusCode}: {ex.Status.Detail}";
                }

                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>SIGKILL, then start over the same data directory and wait for health.</summary>
    public async Task RestartAsync(int index, CancellationToken cancellationToken = default)
    {
        _nodes[index].Kill();
        _nodes[index].Start();
        await _nodes[index].WaitHealthyAsync(_options.StartTimeout, cancellationToken);
    }

    /// <summary>Every node's log tail, for a failure message.</summary>
    public string DescribeLogs(int linesPerNode = 20) =>
        string.Join("\n", _nodes.Select(n => $"--- {n.Name} ({n.LogPath}):\n{n.TailLog(linesPerNode)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                // Keep tearing down the others.
            }
        }

        if (Environment.GetEnvironmentVariable("DYNAMOKAD_KEEP_CLUSTER_DATA") == "1")
        {
            return;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }
    }

    private List<string> ArgumentsFor(int index)
    {
        var node = _nodes[index];
        var arguments = new List<string>
        {
            NodeDll, "serve",
            "--listen", $"127.0.0.1:{node.GrpcPort}",
            "--http", $"127.0.0.1:{node.HttpPort}",
            "--data-dir", node.DataDir,
            "--name", node.Name,
        };
        // Every node, itself included: a node that finds itself among its seeds may be the first one up,
        // so node0 starting alone is healthy at once, and a restarted node joins through whoever is up.
        foreach (var other in _nodes)
        {
            arguments.Add("--seed");
            arguments.Add(other.GrpcAddress);
        }

        foreach (var (key, value) in _options.Settings)
        {
            arguments.Add($"--{key}");
            arguments.Add(value);
        }

        return arguments;
    }
}
