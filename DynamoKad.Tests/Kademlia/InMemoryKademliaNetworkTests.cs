using DynamoKad.Kademlia;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Kademlia;

public sealed class InMemoryKademliaNetworkTests : KademliaNetworkSuite
{
    private readonly InMemoryKademliaNetwork _network = new(Seed);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private int _next;

    protected override string UnusedAddress => "sim://nobody";

    public override Task DisposeAsync() => Task.CompletedTask;

    protected override Task<KademliaNode> StartNodeAsync(NodeId id) =>
        Task.FromResult(_network.CreateNode(new Contact(id, $"sim://{_next++}"), Options, _time, new Random(Seed + _next)));

    protected override Task StopNodeAsync(KademliaNode node)
    {
        _network.TakeDown(node.Self.Address);
        return Task.CompletedTask;
    }

    protected override Task SettleAsync() => _network.RunBackgroundWorkAsync();
}
