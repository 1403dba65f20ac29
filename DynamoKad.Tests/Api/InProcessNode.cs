using System.Net;
using System.Net.Sockets;
using DynamoKad.Api;
using DynamoKad.Hosting;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Tests.Api;

/// <summary>
/// One node in this process with the real host wiring (<see cref="NodeHostingExtensions"/>) on free loopback
/// ports, a temporary data directory, and a placement over a fixed member list (<paramref name="peers"/> are
/// addresses of other members, which need not be running: they make quorums fail on purpose).
/// </summary>
internal sealed class InProcessNode : IAsyncDisposable
{
    private static readonly HashSet<int> HandedOutPorts = [];

    private readonly WebApplication _app;
    private readonly string _dataDir;

    private InProcessNode(WebApplication app, string dataDir, int grpcPort, int httpPort)
    {
        _app = app;
        _dataDir = dataDir;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        HttpAddress = $"http://127.0.0.1:{httpPort}";
        Http = new HttpClient { BaseAddress = new Uri(HttpAddress), Timeout = TimeSpan.FromSeconds(30) };
        Channel = GrpcChannel.ForAddress(GrpcAddress);
    }

    public string GrpcAddress { get; }

    public string HttpAddress { get; }

    public HttpClient Http { get; }

    /// <summary>A plain channel to the node's gRPC endpoint: no secret, no node id.</summary>
    public GrpcChannel Channel { get; }

    public IServiceProvider Services => _app.Services;

    public NodeId Id => _app.Services.GetRequiredService<NodeIdentity>().Id;

    /// <summary>A node's id, ports and data directory (with its id file) before it starts, so peers can know it.</summary>
    public sealed record Plan(NodeId Id, int GrpcPort, int HttpPort, string DataDir)
    {
        public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

        public static Plan Create()
        {
            var dataDir = Path.Combine(Path.GetTempPath(), "dynamokad-api-" + Guid.NewGuid().ToString("N"));
            return new Plan(NodeIdentity.LoadOrCreate(dataDir), FreePort(), FreePort(), dataDir);
        }
    }

    public static Task<InProcessNode> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyList<(NodeId Id, string Address)>? peers = null) =>
        StartAsync(Plan.Create(), settings, peers);

    public static async Task<InProcessNode> StartAsync(
        Plan plan, IReadOnlyDictionary<string, string?>? settings = null, IReadOnlyList<(NodeId Id, string Address)>? peers = null)
    {
        var (_, grpcPort, httpPort, dataDir) = plan;
        var configuration = new Dictionary<string, string?>
        {
            ["DynamoKad:Node:Listen"] = $"127.0.0.1:{grpcPort}",
            ["DynamoKad:Node:Http"] = $"127.0.0.1:{httpPort}",
            ["DynamoKad:Node:DataDir"] = dataDir,
            ["DynamoKad:Replication:N"] = "1",
            ["DynamoKad:Replication:R"] = "1",
            ["DynamoKad:Replication:W"] = "1",
            ["DynamoKad:Replication:ReplicaTimeoutMs"] = "1000",
            ["DynamoKad:Storage:MaxKeyBytes"] = "64",
            ["DynamoKad:Storage:MaxValueBytes"] = "1024",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(TestLog.Provider);
        builder.AddDynamoKadNode();
        builder.Services.AddSingleton<IReplicaPlacement>(sp =>
        {
            var self = sp.GetRequiredService<NodeIdentity>().Id;
            var members = new List<ReplicaPeer> { new(self, $"http://127.0.0.1:{grpcPort}") };
            members.AddRange((peers ?? []).Select(p => new ReplicaPeer(p.Id, p.Address)));
            return new StaticReplicaPlacement(self, members);
        });

        var app = builder.Build();
        app.MapDynamoKadNode();
        await app.StartAsync();
        return new InProcessNode(app, dataDir, grpcPort, httpPort);
    }

    /// <summary>A port nothing listens on right now (the OS's next ephemeral one).</summary>
    /// <summary>
    /// A free loopback port never handed out before in this test process: the OS may give a port that was
    /// just released to the next caller, and two endpoints of one node on the same port fail validation.
    /// </summary>
    public static int FreePort()
    {
        lock (HandedOutPorts)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOutPorts.Add(port))
                {
                    return port;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
