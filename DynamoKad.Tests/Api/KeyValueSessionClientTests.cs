using System.Net;
using DynamoKad.Client;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Tests.Api;

/// <summary>
/// <see cref="KeyValueSessionClient"/> against a scripted node whose answers the test decides: deadlines, cancellation
/// and a call that breaks, each affecting only what it should.
/// </summary>
public sealed class KeyValueSessionClientTests : IAsyncLifetime
{
    private readonly ScriptedNode _node = new();
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_node);
        _app = builder.Build();
        _app.MapGrpcService<ScriptedNode>();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _channel = GrpcChannel.ForAddress(address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static GetRequest Get(string key) => new() { Key = ByteString.CopyFromUtf8(key) };

    [Fact]
    public async Task APassedDeadlineFailsThatRequestAloneAndItsLateAnswerIsDropped()
    {
        await using var session = new KeyValueSessionClient(new KeyValue.KeyValueClient(_channel));

        var held = session.GetAsync(Get("hold"), DateTime.UtcNow.AddMilliseconds(200));
        var ex = await Assert.ThrowsAsync<RpcException>(() => held.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal(0, session.InFlight);
        _node.ReleaseHeld();
        Assert.False((await session.GetAsync(Get("answer"))).Found);
        Assert.Equal(1, _node.Calls);
    }

    [Fact]
    public async Task CancellingARequestCancelsItAloneOnTheSameCall()
    {
        await using var session = new KeyValueSessionClient(new KeyValue.KeyValueClient(_channel));
        using var cancel = new CancellationTokenSource();

        var held = session.GetAsync(Get("hold"), cancellationToken: cancel.Token);
        await _node.HeldAsync(1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False((await session.GetAsync(Get("answer"))).Found);
        Assert.Equal(1, _node.Calls);
    }

    [Fact]
    public async Task ACallThatBreaksFailsWhatIsInFlightOnItAndTheNextRequestOpensANewCall()
    {
        await using var session = new KeyValueSessionClient(new KeyValue.KeyValueClient(_channel));
        var first = session.GetAsync(Get("hold"));
        var second = session.GetAsync(Get("hold"));
        await _node.HeldAsync(2);

        var breaking = await Assert.ThrowsAsync<RpcException>(() => session.GetAsync(Get("break")).WaitAsync(TimeSpan.FromSeconds(10)));
        var held = await Task.WhenAll(first, second).ContinueWith(t => t.Exception!.InnerExceptions).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StatusCode.Unavailable, breaking.StatusCode);
        Assert.Equal("scripted break", breaking.Status.Detail);
        Assert.All(held, e => Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(e).StatusCode));
        Assert.Equal(0, session.InFlight);
        Assert.False((await session.GetAsync(Get("answer"))).Found);
        Assert.Equal(2, _node.Calls);
    }

    /// <summary>
    /// A node whose Session answers a get of "answer" at once, holds a get of "hold" until released (never, unless
    /// told), and ends the call with UNAVAILABLE on a get of "break".
    /// </summary>
    private sealed class ScriptedNode : KeyValue.KeyValueBase
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _held;

        public int Calls => Volatile.Read(ref _calls);

        public void ReleaseHeld() => _release.TrySetResult();

        public async Task HeldAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (Volatile.Read(ref _held) < count)
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        public override async Task Session(IAsyncStreamReader<SessionRequests> requestStream, IServerStreamWriter<SessionResponses> responseStream, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            var writing = new SemaphoreSlim(1);
            var held = new List<Task>();
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                foreach (var request in requestStream.Current.Requests)
                {
                    switch (request.Get?.Key.ToStringUtf8())
                    {
                        case "answer":
                            await AnswerAsync(request.Id);
                            break;
                        case "hold":
                            Interlocked.Increment(ref _held);
                            held.Add(_release.Task.ContinueWith(_ => AnswerAsync(request.Id)).Unwrap());
                            break;
                        case "break":
                            throw new RpcException(new Status(StatusCode.Unavailable, "scripted break"));
                    }
                }
            }

            await Task.WhenAll(held);

            async Task AnswerAsync(ulong id)
            {
                var message = new SessionResponses();
                message.Responses.Add(new SessionResponse { Id = id, Get = new GetResponse { Found = false } });
                await writing.WaitAsync();
                try
                {
                    await responseStream.WriteAsync(message);
                }
                finally
                {
                    writing.Release();
                }
            }
        }
    }
}
