using System.Net;
using DynamoKad.Api;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Transport;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using KademliaClient = DynamoKad.Protos.V1.Kademlia.KademliaClient;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace DynamoKad.Tests.Kademlia;

/// <summary>The network suite over real gRPC: one in-process Kestrel server (HTTP/2, loopback, port 0) per node.</summary>
public sealed class GrpcKademliaNetworkTests : KademliaNetworkSuite
{
    private readonly PeerChannelPool _pool = new();
    private readonly Dictionary<NodeId, WebApplication> _servers = [];

    // Port 1 (tcpmux) is not served on a test machine: connections are refused at once.
    protected override string UnusedAddress => "http://127.0.0.1:1";

    [Fact]
    public async Task AWrongLengthIdIsRejectedAsInvalidArgumentNamingTheField()
    {
        var node = await StartNodeAsync(NodeId.Random(new Random(1)));
        var client = new KademliaClient(_pool.GetInvoker(node.Self.Address));
        var sender = new NodeContact { Id = ByteString.CopyFrom(new byte[20]), Address = "http://127.0.0.1:5" };

        var badTarget = await Assert.ThrowsAsync<RpcException>(() => client.FindNodeAsync(
            new FindNodeRequest { Sender = sender, Target = ByteString.CopyFrom(new byte[5]) }, deadline: Deadline()).ResponseAsync);
        var badSender = await Assert.ThrowsAsync<RpcException>(() => client.PingAsync(
            new PingRequest { Sender = new NodeContact { Id = ByteString.CopyFrom(new byte[3]), Address = "http://x:1" } }, deadline: Deadline()).ResponseAsync);
        var noSender = await Assert.ThrowsAsync<RpcException>(() => client.StoreAsync(new StoreRequest(), deadline: Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, badTarget.StatusCode);
        Assert.Equal("target must be 20 bytes; got 5.", badTarget.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, badSender.StatusCode);
        Assert.Equal("sender.id must be 20 bytes; got 3.", badSender.Status.Detail);
        Assert.StartsWith("sender is required", noSender.Status.Detail);
        Assert.Equal(0, node.RoutingTable.Count);
    }

    public override async Task DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }

        _pool.Dispose();
    }

    protected override async Task<KademliaNode> StartNodeAsync(NodeId id)
    {
        KademliaNode? node = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        // The node needs the port Kestrel picks, so it is created after start and before any call.
        builder.Services.AddSingleton(_ => node!);
        var app = builder.Build();
        app.MapGrpcService<KademliaGrpcService>();
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var network = new GrpcKademliaNetwork(_pool, MsOptions.Create(Options), TimeProvider.System, NullLogger<GrpcKademliaNetwork>.Instance);
        node = new KademliaNode(new Contact(id, address), network, Options, TimeProvider.System, new Random(Seed));
        _servers.Add(id, app);
        return node;
    }

    protected override Task StopNodeAsync(KademliaNode node) => _servers[node.Self.Id].StopAsync();

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(5);
}
