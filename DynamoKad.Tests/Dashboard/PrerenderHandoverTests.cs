extern alias DashboardApp;

using Bunit;
using DashboardApp::DynamoKad.Dashboard.Cluster;
using DashboardApp::DynamoKad.Dashboard.Components.Pages;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

/// <summary>
/// The prerender's node list is handed to the interactive circuit: its first render shows the same nodes, with
/// their statistics and faults, instead of an empty list until its own first read answers.
/// </summary>
public sealed class PrerenderHandoverTests : DashboardTestContext
{
    [Fact]
    public void ThePrerendersNodesAreShownWhileTheCircuitsFirstReadIsOutstanding()
    {
        var up = Fake.AddNode("node0", IdAt(0, 3), keys: 42);
        var cut = Fake.AddNode("node1", IdAt(1, 3));
        Fake.AddDownNode("node2");
        Fake.Faults["node1"] = new FaultState { BlockedPeers = { up.NodeId } };

        // The prerender: it reads the cluster and persists what it read when the response is written.
        var prerender = Render<Home>();
        Assert.Contains("2 of 3 nodes healthy", prerender.Find("[data-testid=summary]").TextContent);
        PrerenderState.TriggerOnPersisting();

        // The circuit: its own first read does not answer, so all it can show is what the prerender handed over.
        Fake.NodesGate = new TaskCompletionSource();
        var circuit = Render<Home>();

        Assert.Equal(3, circuit.FindAll("[data-testid=node-id]").Count);
        Assert.Contains("2 of 3 nodes healthy", circuit.Find("[data-testid=summary]").TextContent);
        Assert.Contains(up.NodeId!, circuit.Find("[data-node=node0] title").TextContent);
        Assert.Equal("partitioned", circuit.Find("[data-node=node1]").GetAttribute("data-state"));
        Assert.Contains(circuit.FindAll("td, [role=gridcell]"), c => c.TextContent.Trim() == "42");
        Assert.Equal(cut.NodeId, circuit.FindAll("[data-testid=node-id]")[1].TextContent.Trim());
    }

    [Fact]
    public void WithoutAPrerenderTheFirstRenderWaitsForTheRead()
    {
        Fake.AddNode("node0", IdAt(0, 3));
        Fake.NodesGate = new TaskCompletionSource();

        var circuit = Render<Home>();
        Assert.Empty(circuit.FindAll("[data-testid=node-id]"));

        Fake.NodesGate.SetResult();
        circuit.WaitForAssertion(() => Assert.Single(circuit.FindAll("[data-testid=node-id]")));
    }
}
