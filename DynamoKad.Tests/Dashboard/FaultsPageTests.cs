extern alias DashboardApp;

using Bunit;
using DashboardApp::DynamoKad.Dashboard.Components.Pages;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

public sealed class FaultsPageTests : DashboardTestContext
{
    [Fact]
    public void ClickingALinkCutsItOnBothEndsAndTheRingShowsBothPartitioned()
    {
        var ids = GivenThreeHealedNodes();
        var page = Render<Faults>();
        Assert.Equal("open", page.Find("[data-link=node0-node1]").GetAttribute("data-state"));

        page.Find("[data-link=node0-node1]").Click();

        Assert.Equal([ids[1]], Fake.Faults["node0"].BlockedPeers);
        Assert.Equal([ids[0]], Fake.Faults["node1"].BlockedPeers);
        Assert.Empty(Fake.Faults["node2"].BlockedPeers);
        page.WaitForAssertion(() => Assert.Equal("cut", page.Find("[data-link=node1-node0]").GetAttribute("data-state")));
        Assert.Equal("partitioned", page.Find("[data-testid=ring-node][data-node=node0]").GetAttribute("data-state"));
        Assert.Equal("partitioned", page.Find("[data-testid=ring-node][data-node=node1]").GetAttribute("data-state"));
        Assert.Equal("up", page.Find("[data-testid=ring-node][data-node=node2]").GetAttribute("data-state"));
    }

    [Fact]
    public void ClickingACutLinkRestoresItAndKeepsTheOtherCuts()
    {
        var ids = GivenThreeHealedNodes();
        Fake.Faults["node0"] = new FaultState { BlockedPeers = { ids[1], ids[2] } };
        Fake.Faults["node1"] = new FaultState { BlockedPeers = { ids[0] } };
        Fake.Faults["node2"] = new FaultState { BlockedPeers = { ids[0] } };
        var page = Render<Faults>();

        page.Find("[data-link=node0-node1]").Click();

        Assert.Equal([ids[2]], Fake.Faults["node0"].BlockedPeers);
        Assert.Empty(Fake.Faults["node1"].BlockedPeers);
        page.WaitForAssertion(() => Assert.Equal("open", page.Find("[data-link=node0-node1]").GetAttribute("data-state")));
        Assert.Equal("cut", page.Find("[data-link=node0-node2]").GetAttribute("data-state"));
        Assert.Equal("up", page.Find("[data-testid=ring-node][data-node=node1]").GetAttribute("data-state"));
    }

    [Fact]
    public void PartitionFromAllIsolatesTheNodeAndKeepsItsLatency()
    {
        GivenThreeHealedNodes();
        Fake.Faults["node2"] = new FaultState { LatencyMs = 50 };
        var page = Render<Faults>();

        page.Find("[data-testid=node-faults][data-node=node2] [data-testid=isolate]").Click();

        Assert.True(Fake.Faults["node2"].Isolated);
        Assert.Equal(50u, Fake.Faults["node2"].LatencyMs);
        page.WaitForAssertion(() => Assert.Equal("cut", page.Find("[data-link=node0-node2]").GetAttribute("data-state")));
        Assert.Equal("partitioned", page.Find("[data-testid=ring-node][data-node=node2]").GetAttribute("data-state"));
    }

    [Fact]
    public void LatencyAndDropRateAreAppliedToTheNodeAndShownAsLagging()
    {
        GivenThreeHealedNodes();
        var page = Render<Faults>();
        var row = "[data-testid=node-faults][data-node=node1]";

        page.Find($"{row} [data-testid=latency]").Change("250");
        page.Find($"{row} [data-testid=drop-rate]").Change("0.25");
        page.Find($"{row} [data-testid=apply]").Click();

        Assert.Equal(250u, Fake.Faults["node1"].LatencyMs);
        Assert.Equal(0.25, Fake.Faults["node1"].DropRate);
        page.WaitForAssertion(() => Assert.Equal("lagging", page.Find("[data-testid=ring-node][data-node=node1]").GetAttribute("data-state")));
    }

    [Fact]
    public void HealEverythingSendsAnEmptyFaultStateToEveryNode()
    {
        var ids = GivenThreeHealedNodes();
        Fake.Faults["node0"] = new FaultState { Isolated = true, LatencyMs = 10 };
        Fake.Faults["node1"] = new FaultState { BlockedPeers = { ids[2] }, DropRate = 0.5 };
        var page = Render<Faults>();
        Fake.FaultChanges.Clear();

        page.Find("[data-testid=heal-all]").Click();

        Assert.Equal(["node0", "node1", "node2"], Fake.FaultChanges.Select(c => c.Node).Order());
        Assert.All(Fake.FaultChanges, c => Assert.Equal(new FaultState(), c.Faults));
        page.WaitForAssertion(() => Assert.All(page.FindAll("[data-testid=ring-node]"), n => Assert.Equal("up", n.GetAttribute("data-state"))));
    }

    private List<string> GivenThreeHealedNodes()
    {
        var ids = Enumerable.Range(0, 3).Select(i => Fake.AddNode($"node{i}", IdAt(i, 3)).NodeId!).ToList();
        foreach (var name in new[] { "node0", "node1", "node2" })
        {
            Fake.Faults[name] = new FaultState();
        }

        return ids;
    }
}
