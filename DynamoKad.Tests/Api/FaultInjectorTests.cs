using DynamoKad.Kademlia;
using DynamoKad.Transport.Faults;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Api;

public sealed class FaultInjectorTests
{
    private static readonly NodeId Self = NodeId.Random(new Random(7));
    private static readonly NodeId Peer = NodeId.Random(new Random(8));

    [Fact]
    public async Task InjectedLatencyHoldsACallUntilThatMuchTimeHasPassed()
    {
        var time = new FakeTimeProvider();
        var injector = new FaultInjector(Self, time);
        injector.Set(FaultSettings.None with { LatencyMs = 200 });

        var delay = injector.DelayAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void AHalfDropRateDropsAboutHalfTheCallsReproduciblyForASeed()
    {
        int Dropped(int seed)
        {
            var injector = new FaultInjector(Self, TimeProvider.System, new Random(seed));
            injector.Set(FaultSettings.None with { DropRate = 0.5 });
            return Enumerable.Range(0, 1000).Count(_ => injector.CheckOutgoing("http://127.0.0.1:1") is not null);
        }

        var dropped = Dropped(42);
        Assert.InRange(dropped, 400, 600);
        Assert.Equal(dropped, Dropped(42));
    }

    [Fact]
    public void ABlockedPeerIsRecognizedByItsIdOnIncomingCallsAndByItsLearnedAddressOnOutgoingOnes()
    {
        var injector = new FaultInjector(Self, TimeProvider.System);
        injector.Set(FaultSettings.None with { BlockedPeers = new HashSet<NodeId> { Peer } });

        Assert.NotNull(injector.CheckIncoming(Peer));
        Assert.Null(injector.CheckIncoming(NodeId.Random(new Random(9))));
        Assert.Null(injector.CheckIncoming(null));

        Assert.Null(injector.CheckOutgoing("127.0.0.1:7001"));
        injector.LearnPeer("http://127.0.0.1:7001", Peer);
        Assert.NotNull(injector.CheckOutgoing("127.0.0.1:7001"));
    }

    [Fact]
    public void HealingClearsEveryFault()
    {
        var injector = new FaultInjector(Self, TimeProvider.System);
        injector.Set(new FaultSettings(true, new HashSet<NodeId> { Peer }, 100, 1.0), ["http://127.0.0.1:7001"]);
        Assert.NotNull(injector.CheckOutgoing("http://127.0.0.1:7002"));

        injector.Set(FaultSettings.None);

        Assert.True(injector.Current.IsNone);
        Assert.Null(injector.CheckOutgoing("http://127.0.0.1:7001"));
        Assert.Null(injector.CheckIncoming(Peer));
    }
}
