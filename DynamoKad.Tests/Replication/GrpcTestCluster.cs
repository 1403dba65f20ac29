using System.Collections.Concurrent;
using System.Net;
using DynamoKad.Api;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Security;
using DynamoKad.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// Nodes as in-process Kestrel servers on 127.0.0.1 (HTTP/2 only) serving the Replica and KeyValue services and
/// replica links on the same port, as a node does; replica calls go over the network through
/// <see cref="GrpcReplicaNetwork"/>: writes and reads over replica links, or over <c>Replica.Stream</c> calls when
/// the cluster is started without links. Killing a node stops its server; reviving it starts a new server on the same
/// port over the same storage (a restart).
/// </summary>
internal sealed class GrpcTestCluster : ITestCluster
{
    private readonly Dictionary<NodeId, TestNode> _byId = [];
    private readonly Dictionary<NodeId, int> _ports = [];
    private readonly Dictionary<NodeId, WebApplication> _servers = [];
    private readonly ConcurrentDictionary<(NodeId, NodeId), byte> _cut = new();
    private readonly ReplicaLinkCredentials? _link;
    private PeerChannelPool _channels = new();
    private GrpcReplicaNetwork _grpc;
    private List<TestNode> _nodes = [];

    private GrpcTestCluster(int seed, ReplicaLinkCredentials? link)
    {
        Seed = seed;
        _link = link;
        _grpc = new GrpcReplicaNetwork(_channels, link: _link);
    }

    public int Seed { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<TestNode> Nodes => _nodes;

    public TestNode this[NodeId id] => _byId[id];

    /// <param name="replicaLinks">Replica writes and reads over replica links (as a node sends them by default), else over stream calls.</param>
    public static async Task<GrpcTestCluster> StartAsync(int seed, int nodes, ReplicationOptions? options = null, bool replicaLinks = true)
    {
        var ids = TestClusterExtensions.NodeIds(seed, nodes);
        // One network serves every node here, so its links name the first node; nothing in this cluster reads the name
        // (no fault injection: partitions are cut above the network, by LinkCuttingNetwork).
        var cluster = new GrpcTestCluster(seed, replicaLinks ? new ReplicaLinkCredentials(ids[0], Secret: null) : null);
        var holders = ids.ToDictionary(id => id, _ => new NodeHolder());
        var members = new List<ReplicaPeer>();
        foreach (var id in ids)
        {
            var (app, port) = await StartServerAsync(holders[id], 0);
            cluster._servers[id] = app;
            cluster._ports[id] = port;
            members.Add(new ReplicaPeer(id, $"http://127.0.0.1:{port}"));
        }

        foreach (var member in members)
        {
            var network = new LinkCuttingNetwork(() => cluster._grpc, member.Id, cluster._cut);
            var node = new TestNode(member, members, network, options ?? TestClusterExtensions.DefaultOptions(), cluster.Time);
            holders[member.Id].Node = node;
            cluster._nodes.Add(node);
            cluster._byId[member.Id] = node;
        }

        return cluster;
    }

    public async Task KillAsync(NodeId id)
    {
        if (_servers.Remove(id, out var app))
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task ReviveAsync(NodeId id)
    {
        if (!_servers.ContainsKey(id))
        {
            var holder = new NodeHolder { Node = _byId[id] };
            var (app, _) = await StartServerAsync(holder, _ports[id]);
            _servers[id] = app;

            // A channel that saw "connection refused" backs off (about a second) before dialling again, and
            // fails calls fast meanwhile; a real node just retries next round, a test must not wait on a clock.
            var old = _channels;
            _channels = new PeerChannelPool();
            _grpc = new GrpcReplicaNetwork(_channels, link: _link);
            old.Dispose();
        }
    }

    public void Partition(IEnumerable<NodeId> sideA, IEnumerable<NodeId> sideB)
    {
        var b = sideB.ToList();
        foreach (var x in sideA)
        {
            foreach (var y in b)
            {
                _cut[(x, y)] = 0;
                _cut[(y, x)] = 0;
            }
        }
    }

    public void Heal() => _cut.Clear();

    /// <summary>Replica links <paramref name="id"/>'s server is serving now.</summary>
    public int LinksServed(NodeId id) => _servers[id].Services.GetRequiredService<ReplicaLinkHandler>().Open;

    /// <summary>The gRPC endpoint of <paramref name="id"/> (KeyValue and Replica).</summary>
    public Uri Endpoint(NodeId id) => new($"http://127.0.0.1:{_ports[id]}");

    /// <summary>A gRPC client for the KeyValue API of <paramref name="id"/>.</summary>
    public Protos.V1.KeyValue.KeyValueClient KeyValueClient(NodeId id) =>
        new(_channels.GetInvoker($"http://127.0.0.1:{_ports[id]}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.Coordinator.WhenBackgroundIdleAsync();
        }

        foreach (var app in _servers.Values)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _servers.Clear();
        _channels.Dispose();
    }

    private static async Task<(WebApplication App, int Port)> StartServerAsync(NodeHolder holder, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.Use(ReplicaLinkHandler.Middleware(listen.ApplicationServices));
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_ => holder.Node!.Replica);
        builder.Services.AddSingleton(_ => holder.Node!.Coordinator);
        builder.Services.AddSingleton(new ClusterSecret(null));
        builder.Services.AddSingleton<ReplicaLinkHandler>();
        var app = builder.Build();
        app.MapGrpcService<ReplicaGrpcService>();
        app.MapGrpcService<KeyValueGrpcService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address).Port);
    }

    private sealed class NodeHolder
    {
        public TestNode? Node { get; set; }
    }
}
