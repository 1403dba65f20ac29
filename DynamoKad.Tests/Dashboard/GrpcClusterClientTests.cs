extern alias DashboardApp;

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using DashboardApp::DynamoKad.Dashboard.Cluster;
using DashboardApp::DynamoKad.Protos.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Dashboard;

/// <summary>
/// The gRPC client under the dashboard, against an in-memory HTTP/2 handler that records each request and answers
/// as a node would: the secret and a deadline go with every call, and a node's refusal becomes a readable error.
/// </summary>
public sealed class GrpcClusterClientTests
{
    [Fact]
    public async Task EveryCallCarriesTheClusterSecretAndADeadline()
    {
        var node = new FakeNode();
        node.Answers["GetFaults"] = new FaultState { LatencyMs = 5 };
        node.Answers["Put"] = new PutResponse { Acks = 2, Context = "c1" };
        using var client = Client(node, secret: "s3cret");

        var faults = await client.GetFaultsAsync("node0");
        var put = await client.PutAsync("node0", "k", "v", null, new QuorumSettings(W: 2));

        Assert.Equal(5u, faults.LatencyMs);
        Assert.Equal(2u, put.Acks);
        Assert.Equal(["GetFaults", "Put"], node.Requests.Select(r => r.Method));
        Assert.All(node.Requests, r => Assert.Equal("s3cret", r.Secret));
        Assert.All(node.Requests, r => Assert.NotNull(r.Timeout));
        var sent = PutRequest.Parser.ParseFrom(node.Requests.Single(r => r.Method == "Put").Body);
        Assert.Equal(("k", "v", 2u, false), (sent.Key.ToStringUtf8(), sent.Value.ToStringUtf8(), sent.Quorum.W, sent.Quorum.HasR));
    }

    [Fact]
    public async Task WithoutASecretNoSecretHeaderIsSent()
    {
        var node = new FakeNode();
        node.Answers["GetFaults"] = new FaultState();
        using var client = Client(node, secret: null);

        await client.GetFaultsAsync("node0");

        Assert.Null(Assert.Single(node.Requests).Secret);
    }

    [Fact]
    public async Task ANodeRefusingACallBecomesANodeCallExceptionNamingTheNode()
    {
        var node = new FakeNode();
        using var client = Client(node, secret: "s");

        var ex = await Assert.ThrowsAsync<NodeCallException>(() => client.InspectKeyAsync("node0", "k", null));

        Assert.True(ex.IsUnimplemented);
        Assert.Equal("node0: Unimplemented · not here", ex.Message);
    }

    [Fact]
    public async Task ANodeThatOnlyAnswersGetNodeInfoIsUpWithoutFaultsOrStats()
    {
        var node = new FakeNode();
        node.Answers["GetNodeInfo"] = new NodeInfo { NodeId = new string('a', 40), Address = "http://n0", N = 3, Uptime = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(7)) };
        using var client = Client(node, secret: "s");

        var status = Assert.Single(await client.GetNodesAsync());

        Assert.True(status.Healthy);
        Assert.Equal((new string('a', 40), 3u, TimeSpan.FromSeconds(7)), (status.NodeId, status.N, status.Uptime));
        Assert.Null(status.Faults);
        Assert.Null(status.Stats);
        Assert.Null(status.Contacts);
    }

    [Fact]
    public async Task ANodeThatDoesNotAnswerIsDownWithTheReason()
    {
        var node = new FakeNode { Unreachable = true };
        using var client = Client(node, secret: "s");

        var status = Assert.Single(await client.GetNodesAsync());

        Assert.False(status.Healthy);
        Assert.StartsWith("Unavailable", status.Error);
    }

    private static GrpcClusterClient Client(FakeNode node, string? secret) => new(
        Options.Create(new DashboardOptions
        {
            Nodes = [new NodeEndpoint { Name = "node0", Address = "http://node0.test" }],
            Cluster = new ClusterSecretOptions { Secret = secret },
        }),
        NullLogger<GrpcClusterClient>.Instance,
        node);

    /// <summary>Answers gRPC over HTTP/2 in memory: a framed message and grpc-status 0, or Unimplemented when it has no answer.</summary>
    private sealed class FakeNode : HttpMessageHandler
    {
        public ConcurrentDictionary<string, IMessage> Answers { get; } = new();

        public ConcurrentQueue<(string Method, string? Secret, string? Timeout, byte[] Body)> Requests { get; } = new();

        public bool Unreachable { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Unreachable)
            {
                throw new HttpRequestException("connection refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
            }

            var method = request.RequestUri!.AbsolutePath.Split('/')[^1];
            var framed = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            Requests.Enqueue((method, Header(request, "x-dynamokad-secret"), Header(request, "grpc-timeout"), framed[5..]));

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Version = HttpVersion.Version20 };
            if (Answers.TryGetValue(method, out var answer))
            {
                var message = answer.ToByteArray();
                var body = new byte[5 + message.Length];
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
                message.CopyTo(body, 5);
                response.Content = new ByteArrayContent(body);
                response.TrailingHeaders.Add("grpc-status", "0");
            }
            else
            {
                // Trailers-only: what a server without the method answers.
                response.Content = new ByteArrayContent([]);
                response.Headers.Add("grpc-status", "12");
                response.Headers.Add("grpc-message", "not here");
            }

            response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            return response;
        }

        private static string? Header(HttpRequestMessage request, string name) =>
            request.Headers.TryGetValues(name, out var values) ? values.Single() : null;
    }
}
