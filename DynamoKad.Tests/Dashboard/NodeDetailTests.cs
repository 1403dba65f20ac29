extern alias DashboardApp;

using Bunit;
using DashboardApp::DynamoKad.Dashboard.Components.Pages;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

public sealed class NodeDetailTests : DashboardTestContext
{
    [Fact]
    public void TheRoutingTableIsDrawnAsOneBarPerBucketWithItsContacts()
    {
        var a = Fake.AddNode("node0", IdAt(0, 2));
        var b = Fake.AddNode("node1", IdAt(1, 2));
        Fake.RoutingTables["node0"] = new RoutingTableView
        {
            SelfId = a.NodeId,
            K = 20,
            Alpha = 3,
            TotalContacts = 21,
            Buckets =
            {
                new KBucketView { Index = 159, Contacts = { Enumerable.Range(0, 20).Select(i => new RoutingContact { NodeId = $"{i:x40}" }) } },
                new KBucketView { Index = 3, Contacts = { new RoutingContact { NodeId = b.NodeId } } },
            },
        };
        Fake.Stats["node0"].Hints = new HintStatsView { Pending = 7, ByTarget = { new HintTargetStats { TargetNodeId = b.NodeId, Pending = 7 } } };

        var page = Render<NodeDetail>(p => p.Add(d => d.Name, "node0"));

        var bars = page.FindAll("[data-testid=bucket]");
        Assert.Equal(2, bars.Count);
        Assert.Equal("20", page.Find("[data-testid=bucket][data-index=\"159\"]").GetAttribute("data-contacts"));
        Assert.Equal("1", page.Find("[data-testid=bucket][data-index=\"3\"]").GetAttribute("data-contacts"));
        Assert.Contains("full", page.Find("[data-testid=bucket][data-index=\"159\"] rect").ClassName);
        Assert.Contains("for node1: 7", page.Find("[data-testid=hints-by-target]").TextContent);
    }

    [Fact]
    public void ANodeWithoutTheRoutingApiSaysSoInsteadOfFailing()
    {
        Fake.AddNode("node0", IdAt(0, 1));

        var page = Render<NodeDetail>(p => p.Add(d => d.Name, "node0"));

        Assert.Contains("Unimplemented", page.Find("[data-testid=routing-missing]").TextContent);
        Assert.Equal("up", page.Find("[data-testid=node-state]").TextContent);
    }
}
