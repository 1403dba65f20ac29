using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DynamoKad.Api;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Security;
using DynamoKad.Telemetry;
using DynamoKad.Tests.Api;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Telemetry;

/// <summary>Alone: the RPC counters are process-wide, and another test's calls would be counted with these.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RpcMetricsCollection
{
    public const string Name = "rpc metrics";
}

/// <summary>
/// <c>dynamokad.rpc.server.requests</c> counts every unary call once, by service, method and status code: the client
/// API's calls are recorded by the service itself, with no interceptor, and every other service's by the interceptor.
/// </summary>
[Collection(RpcMetricsCollection.Name)]
public sealed class RpcMetricsTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<(string Method, string Status), long> _requests = new();
    private readonly MeterListener _listener = new();
    private InProcessNode _node = null!;

    public async Task InitializeAsync()
    {
        // One fellow replica that is down: a quorum of 2 cannot be reached, and that is UNAVAILABLE.
        _node = await InProcessNode.StartAsync(peers: [(NodeId.Random(new Random(3)), $"http://127.0.0.1:{InProcessNode.FreePort()}")]);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DynamoKadTelemetry.Meter.Name && instrument.Name == "dynamokad.rpc.server.requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? service = null, method = null, status = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "rpc.service": service = tag.Value as string; break;
                    case "rpc.method": method = tag.Value as string; break;
                    case "rpc.grpc.status_code": status = tag.Value as string; break;
                }
            }

            _requests.AddOrUpdate(($"{service}/{method}", status ?? "?"), value, (_, sum) => sum + value);
        });
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public void TheClientApiRunsWithoutAnyInterceptor()
    {
        var options = _node.Services.GetRequiredService<IOptions<GrpcServiceOptions<KeyValueGrpcService>>>().Value;

        Assert.Empty(options.Interceptors);
        Assert.Empty(_node.Services.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.Interceptors);
        // Outermost on the other services: it also counts the calls their own interceptors refuse.
        var admin = _node.Services.GetRequiredService<IOptions<GrpcServiceOptions<AdminGrpcService>>>().Value.Interceptors;
        Assert.Equal([typeof(RpcMetricsInterceptor), typeof(ClusterSecretServerInterceptor)], admin.Select(registration => registration.Type));
    }

    [Fact]
    public async Task EveryClientCallIsCountedOnceWithTheStatusItEndedWith()
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);
        var key = ByteString.CopyFromUtf8("rpc-metrics");

        // N=2 of this node and the one that is down: this node is a replica of every key, and one answer is enough.
        var one = new Quorum { N = 2, R = 1, W = 1 };

        await kv.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v"), Quorum = one });
        await kv.GetAsync(new GetRequest { Key = key, Quorum = one });
        await kv.GetAsync(new GetRequest { Key = key, Quorum = one });
        await kv.DeleteAsync(new DeleteRequest { Key = key, Quorum = one });
        await new Health.HealthClient(_node.Channel).CheckAsync(new HealthCheckRequest());
        var empty = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest()));
        var quorum = await Assert.ThrowsAsync<RpcException>(async () =>
            await kv.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v"), Quorum = new Quorum { N = 2, W = 2 } }));
        await new Admin.AdminClient(_node.Channel).GetStatsAsync(new GetStatsRequest());

        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal(StatusCode.Unavailable, quorum.StatusCode);
        Assert.Equal(1, Count("dynamokad.v1.KeyValue/Put", "OK"));
        Assert.Equal(2, Count("dynamokad.v1.KeyValue/Get", "OK"));
        Assert.Equal(1, Count("dynamokad.v1.KeyValue/Delete", "OK"));
        Assert.Equal(1, Count("dynamokad.v1.KeyValue/Get", "InvalidArgument"));
        Assert.Equal(1, Count("dynamokad.v1.KeyValue/Put", "Unavailable"));
        Assert.Equal(1, Count("dynamokad.v1.Admin/GetStats", "OK"));
        Assert.Equal(1, Count("grpc.health.v1.Health/Check", "OK"));
    }

    private long Count(string method, string status) => _requests.GetValueOrDefault((method, status));
}
