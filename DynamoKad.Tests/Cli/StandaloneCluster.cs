using DynamoKad.Protos.V1;
using DynamoKad.Security;
using DynamoKad.Tests.Api;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace DynamoKad.Tests.Cli;

/// <summary>
/// Three node processes on free loopback ports with a cluster secret, node1 and node2 seeded with node0, as an
/// operator would start them without Aspire. Ready once every node's routing table holds both others.
/// </summary>
public sealed class StandaloneCluster : IAsyncLifetime
{
    public const string Secret = "standalone cluster test secret";
    private readonly List<NodeProcess> _processes = [];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dynamokad-cli-" + Guid.NewGuid().ToString("N"));

    public IReadOnlyList<(string Grpc, string Http)> Nodes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var nodes = Enumerable.Range(0, 3).Select(_ => (Grpc: InProcessNode.FreePort(), Http: InProcessNode.FreePort())).ToList();
        Nodes = [.. nodes.Select(n => ($"http://127.0.0.1:{n.Grpc}", $"http://127.0.0.1:{n.Http}"))];
        var environment = new Dictionary<string, string> { ["DynamoKad__Cluster__Secret"] = Secret };
        for (var i = 0; i < nodes.Count; i++)
        {
            List<string> args =
            [
                "serve", "--listen", $"127.0.0.1:{nodes[i].Grpc}", "--http", $"127.0.0.1:{nodes[i].Http}",
                "--data-dir", Path.Combine(_root, $"node{i}"), "--name", $"node{i}",
            ];
            if (i > 0)
            {
                args.AddRange(["--seed", $"127.0.0.1:{nodes[0].Grpc}"]);
            }

            _processes.Add(NodeProcess.Start(args, environment));
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            await _processes[i].WaitHealthyAsync(Nodes[i].Http, TimeSpan.FromSeconds(90));
        }

        await WaitForFullTablesAsync(TimeSpan.FromSeconds(60));
    }

    public Admin.AdminClient Admin(int node, GrpcChannel channel) =>
        new(channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret(Secret))));

    public string Logs => string.Join("\n---\n", _processes.Select((p, i) => $"node{i}:\n{p.Output}"));

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitForFullTablesAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var channels = Nodes.Select(n => GrpcChannel.ForAddress(n.Grpc)).ToList();
        try
        {
            while (true)
            {
                var counts = new List<uint>();
                for (var i = 0; i < channels.Count; i++)
                {
                    var table = await Admin(i, channels[i]).GetRoutingTableAsync(new GetRoutingTableRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                    counts.Add(table.TotalContacts);
                }

                if (counts.All(c => c == channels.Count - 1))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Routing tables did not fill within {timeout}: {string.Join(", ", counts)}\n{Logs}");
                }

                await Task.Delay(250);
            }
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }
}
