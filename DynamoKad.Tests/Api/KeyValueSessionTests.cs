using System.Buffers.Text;
using System.Diagnostics;
using DynamoKad.Client;
using DynamoKad.Protos.V1;
using DynamoKad.Telemetry;
using DynamoKad.Tests.Replication;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Api;

/// <summary>
/// KeyValue.Session against a real 3-node cluster over gRPC: many requests pipelined on one call, each answered by its
/// own id with what its unary call would answer, a failed request failing alone, and the call ending cleanly.
/// </summary>
public sealed class KeyValueSessionTests : IAsyncLifetime
{
    private GrpcTestCluster _cluster = null!;
    private KeyValue.KeyValueClient _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await GrpcTestCluster.StartAsync(seed: 31, nodes: 3);
        _client = _cluster.KeyValueClient(_cluster.Nodes[0].Id);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task ManyPipelinedRequestsAreEachAnsweredWithTheirOwnResult()
    {
        await using var session = new KeyValueSessionClient(_client);

        var puts = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            session.PutAsync(new PutRequest { Key = Bytes($"key-{i}"), Value = Bytes($"value-{i}") })));
        var gets = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => session.GetAsync(new GetRequest { Key = Bytes($"key-{i}") })));

        Assert.All(puts, put => Assert.True(put.Acks >= 2));
        for (var i = 0; i < gets.Length; i++)
        {
            Assert.True(gets[i].Found);
            Assert.Equal([$"value-{i}"], gets[i].Siblings.Select(s => s.Value.ToStringUtf8()));
        }

        // What the session wrote is what the unary API reads, and a put with the session's context overwrites.
        var overwrite = await session.PutAsync(new PutRequest { Key = Bytes("key-7"), Value = Bytes("again"), Context = gets[7].Context });
        var unary = await _client.GetAsync(new GetRequest { Key = Bytes("key-7") });
        Assert.Equal(["again"], unary.Siblings.Select(s => s.Value.ToStringUtf8()));
        Assert.Equal(overwrite.Context, unary.Context);

        var deleted = await session.DeleteAsync(new DeleteRequest { Key = Bytes("key-7"), Context = unary.Context });
        Assert.True(deleted.Acks >= 2);
        Assert.False((await session.GetAsync(new GetRequest { Key = Bytes("key-7") })).Found);
        Assert.Equal(0, session.InFlight);
    }

    [Fact]
    public async Task AFailedRequestIsItsOwnAnswerWithTheUnaryStatusAndTheCallGoesOn()
    {
        using var call = _client.Session();
        var requests = new SessionRequests();
        requests.Requests.Add(new SessionRequest { Id = 1, Put = new PutRequest { Key = ByteString.Empty, Value = Bytes("v") } });
        requests.Requests.Add(new SessionRequest { Id = 2, Get = new GetRequest { Key = Bytes("q"), Quorum = new Quorum { N = 2, R = 3 } } });
        requests.Requests.Add(new SessionRequest { Id = 3 });
        requests.Requests.Add(new SessionRequest { Id = 4, Put = new PutRequest { Key = Bytes("fine"), Value = Bytes("v") } });
        requests.Requests.Add(new SessionRequest { Id = 5, Put = new PutRequest { Key = Bytes("fine"), Value = Bytes("w"), Context = "not-a-context" } });
        await call.RequestStream.WriteAsync(requests);

        var answers = await ReadAsync(call, 5);

        Assert.Equal((int)StatusCode.InvalidArgument, answers[1].Error.Code);
        Assert.StartsWith("key must not be empty", answers[1].Error.Message, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[2].Error.Code);
        Assert.Contains("quorum.R must not exceed N (2); got 3.", answers[2].Error.Message, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[3].Error.Code);
        Assert.Contains("session request 3 holds no operation", answers[3].Error.Message, StringComparison.Ordinal);
        Assert.Equal(SessionResponse.ResultOneofCase.Put, answers[4].ResultCase);
        Assert.True(answers[4].Put.Acks >= 2);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[5].Error.Code);
        Assert.StartsWith("context", answers[5].Error.Message, StringComparison.Ordinal);

        // The same call still serves requests after those failures.
        var next = new SessionRequests();
        next.Requests.Add(new SessionRequest { Id = 6, Get = new GetRequest { Key = Bytes("fine") } });
        await call.RequestStream.WriteAsync(next);
        var after = await ReadAsync(call, 1);
        Assert.Equal(["v"], after[6].Get.Siblings.Select(s => s.Value.ToStringUtf8()));

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task AHalfClosedCallAnswersEveryRequestInFlightBeforeItEnds()
    {
        using var call = _client.Session();
        var requests = new SessionRequests();
        for (var i = 1; i <= 50; i++)
        {
            requests.Requests.Add(new SessionRequest { Id = (ulong)i, Put = new PutRequest { Key = Bytes($"half-{i}"), Value = Bytes("v") } });
        }

        await call.RequestStream.WriteAsync(requests);
        await call.RequestStream.CompleteAsync();

        var answered = new HashSet<ulong>();
        while (await call.ResponseStream.MoveNext())
        {
            foreach (var response in call.ResponseStream.Current.Responses)
            {
                Assert.Equal(SessionResponse.ResultOneofCase.Put, response.ResultCase);
                Assert.True(answered.Add(response.Id));
            }
        }

        Assert.Equal(50, answered.Count);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task TheClientThrowsWhatTheUnaryCallWouldThrow()
    {
        await using var session = new KeyValueSessionClient(_client);
        var get = await session.GetAsync(new GetRequest { Key = Bytes("t") });
        var bytes = Base64Url.DecodeFromChars(get.Context);
        bytes[^1] ^= 0xff;
        var tampered = new PutRequest { Key = Bytes("t"), Value = Bytes("x"), Context = Base64Url.EncodeToString(bytes) };

        var viaSession = await Assert.ThrowsAsync<RpcException>(() => session.PutAsync(tampered));
        var viaUnary = await Assert.ThrowsAsync<RpcException>(async () => await _client.PutAsync(tampered));

        Assert.Equal(viaUnary.StatusCode, viaSession.StatusCode);
        Assert.Equal(viaUnary.Status.Detail, viaSession.Status.Detail);
        Assert.StartsWith("context", viaSession.Status.Detail, StringComparison.Ordinal);
        // The failure was that request's alone.
        Assert.True((await session.PutAsync(new PutRequest { Key = Bytes("t"), Value = Bytes("y"), Context = get.Context })).Acks >= 2);
    }

    [Fact]
    public async Task ARequestTooLargeToSendFailsAloneBeforeItIsSent()
    {
        await using var session = new KeyValueSessionClient(_client, maxRequestBytes: 1_000);

        var ex = await Assert.ThrowsAsync<RpcException>(() => session.PutAsync(new PutRequest { Key = Bytes("big"), Value = ByteString.CopyFrom(new byte[2_000]) }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("at most 1000 bytes", ex.Status.Detail, StringComparison.Ordinal);
        Assert.True((await session.PutAsync(new PutRequest { Key = Bytes("small"), Value = Bytes("v") })).Acks >= 2);
    }

    [Fact]
    public async Task ARequestWithATraceparentIsTracedUnderItAndOneWithoutStartsItsOwnTrace()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DynamoKadTelemetry.Name,
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var trace = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();

        using var call = _client.Session();
        var requests = new SessionRequests();
        requests.Requests.Add(new SessionRequest { Id = 1, Traceparent = $"00-{trace}-{parent}-01", Put = new PutRequest { Key = Bytes("traced"), Value = Bytes("v") } });
        requests.Requests.Add(new SessionRequest { Id = 2, Put = new PutRequest { Key = Bytes("untraced"), Value = Bytes("v") } });
        await call.RequestStream.WriteAsync(requests);
        await ReadAsync(call, 2);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());

        Activity[] recorded;
        lock (spans)
        {
            recorded = [.. spans];
        }

        // Other tests run beside this one in the process: their spans are told apart by trace and by key.
        var item = Assert.Single(recorded, s => s.OperationName == "kv.session.request" && s.TraceId == trace);
        Assert.Equal(parent, item.ParentSpanId);
        var traced = Assert.Single(recorded, s => s.OperationName == "kv.put" && KeyIdOf(s) == KeyId("traced"));
        Assert.Equal(trace, traced.TraceId);
        Assert.Equal(item.SpanId, traced.ParentSpanId);
        var own = Assert.Single(recorded, s => s.OperationName == "kv.put" && KeyIdOf(s) == KeyId("untraced"));
        Assert.NotEqual(trace, own.TraceId);
        Assert.Equal(default, own.ParentSpanId);
    }

    private static string KeyId(string key) => DynamoKad.Kademlia.NodeId.ForKey(System.Text.Encoding.UTF8.GetBytes(key)).ToShortString();

    private static string? KeyIdOf(Activity span) => span.GetTagItem("dynamokad.key_id") as string;

    /// <summary>Reads answers until <paramref name="count"/> have arrived, by id.</summary>
    private static async Task<Dictionary<ulong, SessionResponse>> ReadAsync(AsyncDuplexStreamingCall<SessionRequests, SessionResponses> call, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answers = new Dictionary<ulong, SessionResponse>();
        while (answers.Count < count && await call.ResponseStream.MoveNext(timeout.Token))
        {
            foreach (var response in call.ResponseStream.Current.Responses)
            {
                answers.Add(response.Id, response);
            }
        }

        Assert.Equal(count, answers.Count);
        return answers;
    }
}
