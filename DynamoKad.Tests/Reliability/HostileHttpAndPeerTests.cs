using System.Net;
using System.Net.Sockets;
using System.Text;
using DynamoKad.Protos.V1;
using DynamoKad.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// A node with a cluster secret under hostile HTTP input (random methods, paths, quorums and bodies, a header
/// flood, slow clients dripping a body) and node-to-node / Admin calls without or with a wrong secret:
/// every HTTP answer is a clear 4xx (or 503 for a quorum), every refused call UNAUTHENTICATED or
/// PERMISSION_DENIED, the node stays healthy and the data written before is unchanged.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(ReliabilityCollection.Name)]
public sealed class HostileHttpAndPeerTests(ITestOutputHelper output)
{
    private const string Secret = "reliability-secret";

    [Fact]
    public async Task HostileHttpAndUnauthenticatedPeerCallsAreRefusedAndChangeNothing()
    {
        var seed = ReliabilitySettings.Seed(out var origin);
        output.WriteLine($"seed {seed} ({origin})");
        var random = new Random(seed);
        var settings = CrashSafetyTests.Quorum(1, 1, 1);
        settings["DynamoKad:Cluster:Secret"] = Secret;
        await using var cluster = await StandaloneCluster.StartAsync(new StandaloneClusterOptions { NodeCount = 1, Settings = settings });
        var node = cluster[0];
        var client = cluster.Client(0);
        var canary = ByteString.CopyFromUtf8("canary");
        await client.PutAsync(new PutRequest { Key = canary, Value = ByteString.CopyFromUtf8("intact") }, deadline: Deadline());

        var tally = new Dictionary<string, int>();
        var findings = new List<string>();
        void Count(string outcome) => tally[outcome] = tally.GetValueOrDefault(outcome) + 1;

        // Node-to-node and Admin calls without the secret, and with a wrong one.
        foreach (var headers in new[] { new Metadata(), new Metadata { { "x-dynamokad-secret", "wrong" } }, new Metadata { { "x-dynamokad-secret", "" } } })
        {
            async Task Refused(string label, Func<Task> call)
            {
                try
                {
                    await call();
                    findings.Add($"{label}: accepted without the right secret");
                    Count("peer OK (!)");
                }
                catch (RpcException ex)
                {
                    Count($"peer {ex.StatusCode}");
                    if (ex.StatusCode is not (StatusCode.Unauthenticated or StatusCode.PermissionDenied))
                    {
                        findings.Add($"{label}: {ex.StatusCode} {ex.Status.Detail}");
                    }
                }
            }

            var replica = new Replica.ReplicaClient(node.Channel);
            var forged = new ReplicaVersion { Clock = ByteString.CopyFrom(Bytes(random, 60)), Value = ByteString.CopyFromUtf8("forged"), Tombstone = random.Next(2) == 0 };
            await Refused("Replica.Write", () => replica.WriteAsync(new ReplicaWriteRequest { Key = canary, Versions = { forged } }, headers, Deadline()).ResponseAsync);
            await Refused("Replica.Read", () => replica.ReadAsync(new ReplicaReadRequest { Key = canary }, headers, Deadline()).ResponseAsync);
            await Refused("Kademlia.Ping", () => new DynamoKad.Protos.V1.Kademlia.KademliaClient(node.Channel).PingAsync(new PingRequest(), headers, Deadline()).ResponseAsync);
            await Refused("Admin.SetFaults", () => cluster.Admin(0).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { Isolated = true } }, headers, Deadline()).ResponseAsync);
            await Refused("Admin.GetNodeInfo", () => cluster.Admin(0).GetNodeInfoAsync(new GetNodeInfoRequest(), headers, Deadline()).ResponseAsync);
        }

        var withSecret = new Metadata { { "x-dynamokad-secret", Secret } };
        var faults = await cluster.Admin(0).GetFaultsAsync(new GetFaultsRequest(), withSecret, Deadline());
        Assert.False(faults.Isolated, $"seed {seed}: an unauthenticated SetFaults took effect");

        // HTTP: random requests on the JSON API.
        using var http = new HttpClient { BaseAddress = new Uri(node.HttpAddress), Timeout = TimeSpan.FromSeconds(20) };
        string[] methods = ["GET", "PUT", "DELETE", "POST", "PATCH", "HEAD", "OPTIONS"];
        string[] queries = ["", "?n=0", "?w=99999999999", "?r=-1", "?n=abc&r=&w=%00", "?n=4294967296", "?r=3&n=1", "?context=%%%"];
        for (var i = 0; i < 200; i++)
        {
            var keyBytes = Bytes(random, random.Next(0, random.Next(2) == 0 ? 40 : 3000));
            var path = "/v1/kv/" + (random.Next(4) == 0 ? Uri.EscapeDataString(Encoding.UTF8.GetString(keyBytes)) : string.Concat(keyBytes.Select(b => $"%{b:X2}")));
            using var request = new HttpRequestMessage(new HttpMethod(methods[random.Next(methods.Length)]), path + queries[random.Next(queries.Length)]);
            if (random.Next(2) == 0)
            {
                request.Content = new ByteArrayContent(Bytes(random, random.Next(0, random.Next(4) == 0 ? 2 * 1024 * 1024 : 300)));
            }

            if (random.Next(3) == 0)
            {
                request.Headers.TryAddWithoutValidation("x-dynamokad-context", Convert.ToBase64String(Bytes(random, random.Next(1, 200))));
            }

            await SendAsync(http, request, "random", Count, findings);
        }

        // Header flood: far more and larger headers than Kestrel allows.
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/kv/canary");
            for (var h = 0; h < 500 * (i + 1); h++)
            {
                request.Headers.TryAddWithoutValidation($"x-flood-{h}", new string('a', 200));
            }

            await SendAsync(http, request, "header flood", Count, findings);
        }

        // Slow clients: announce a 1 MB body and drip it, 20 connections at once, while a normal client works.
        var slow = Enumerable.Range(0, 20).Select(_ => SlowClientAsync(node.HttpPort)).ToList();
        for (var i = 0; i < 10; i++)
        {
            var get = await client.GetAsync(new GetRequest { Key = canary }, deadline: Deadline());
            Assert.True(get.Found, $"seed {seed}: the node stopped serving while slow clients were connected");
            await Task.Delay(300);
        }

        foreach (var outcome in await Task.WhenAll(slow))
        {
            Count($"slow client: {outcome}");
        }

        await node.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        var after = await client.GetAsync(new GetRequest { Key = canary }, deadline: Deadline());
        output.WriteLine($"{tally.Values.Sum()} requests: {string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value}"))}");
        Assert.Equal(["intact"], after.Siblings.Select(s => s.Value.ToStringUtf8()));
        Assert.True(findings.Count == 0, $"seed {seed}: {findings.Count} unclear answers:\n{string.Join("\n", findings.Distinct().Take(30))}");
    }

    private static async Task SendAsync(HttpClient http, HttpRequestMessage request, string label, Action<string> count, List<string> findings)
    {
        try
        {
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            count($"HTTP {status}");
            if (status >= 500 && status != 503)
            {
                findings.Add($"{label} {request.Method} {request.RequestUri?.OriginalString[..Math.Min(80, request.RequestUri.OriginalString.Length)]}: HTTP {status} {await response.Content.ReadAsStringAsync()}");
            }
        }
        catch (HttpRequestException ex)
        {
            // Kestrel may close the connection on a request it refuses to read (e.g. an oversized body).
            count($"connection closed ({ex.HttpRequestError})");
        }
    }

    /// <summary>Announces a 1 MB body and sends one byte every 200 ms for up to 8 s; returns how it ended.</summary>
    private static async Task<string> SlowClientAsync(int port)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        var head = Encoding.ASCII.GetBytes("PUT /v1/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n");
        await stream.WriteAsync(head);
        try
        {
            for (var i = 0; i < 40; i++)
            {
                await stream.WriteAsync(new byte[] { (byte)'x' });
                await Task.Delay(200);
            }

            return "still open after 8 s";
        }
        catch (IOException)
        {
            return "closed by the node";
        }
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(15);
}
