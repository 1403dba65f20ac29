extern alias DashboardApp;

using System.Globalization;
using Bunit;
using DashboardApp::DynamoKad.Dashboard.Cluster;
using DashboardApp::DynamoKad.Dashboard.Components.Controls;
using DashboardApp::DynamoKad.Dashboard.Components.Pages;
using DashboardApp::DynamoKad.Dashboard.Geometry;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

public sealed class RingComponentTests : DashboardTestContext
{
    [Fact]
    public void EachNodeIsDrawnAtTheAngleOfItsId()
    {
        for (var i = 0; i < 4; i++)
        {
            Fake.AddNode($"node{i}", IdAt(i, 4));
        }

        var ring = Render<Ring>(p => p.Add(r => r.Nodes, Fake.Statuses));

        var dots = ring.FindAll("[data-testid=ring-node] circle.node-dot");
        Assert.Equal(4, dots.Count);
        for (var i = 0; i < 4; i++)
        {
            var expected = RingGeometry.Point(i / 4.0, Ring.Center, Ring.Center, Ring.Radius);
            var dot = ring.Find($"[data-node=node{i}] circle.node-dot");
            Assert.Equal(expected.X, double.Parse(dot.GetAttribute("cx")!, CultureInfo.InvariantCulture), precision: 1);
            Assert.Equal(expected.Y, double.Parse(dot.GetAttribute("cy")!, CultureInfo.InvariantCulture), precision: 1);
        }

        // node1 is a quarter turn clockwise from the top: to the right of the centre, on its horizontal.
        var right = ring.Find("[data-node=node1] circle.node-dot");
        Assert.Equal((Ring.Center + Ring.Radius).ToString("0.##", CultureInfo.InvariantCulture), right.GetAttribute("cx"));
    }

    [Fact]
    public void NodesAreColouredByState()
    {
        var up = Fake.AddNode("up", IdAt(0, 4));
        var cut = Fake.AddNode("cut", IdAt(1, 4));
        var behind = Fake.AddNode("behind", IdAt(2, 4));
        Fake.AddDownNode("gone");
        var statuses = Fake.Statuses.Select(s => s.Name switch
        {
            "cut" => s with { Faults = new FaultState { BlockedPeers = { up.NodeId } } },
            // The up node holds hints for "behind": writes it has not received yet.
            "up" => s with { Stats = new NodeStats { Hints = new HintStatsView { Pending = 2, ByTarget = { new HintTargetStats { TargetNodeId = behind.NodeId, Pending = 2 } } } } },
            _ => s,
        }).ToList();

        var ring = Render<Ring>(p => p.Add(r => r.Nodes, statuses));

        Assert.Equal("up", ring.Find("[data-node=up]").GetAttribute("data-state"));
        Assert.Equal("partitioned", ring.Find("[data-node=cut]").GetAttribute("data-state"));
        Assert.Equal("lagging", ring.Find("[data-node=behind]").GetAttribute("data-state"));
        Assert.Equal("down", ring.Find("[data-node=gone]").GetAttribute("data-state"));
        Assert.Contains("hints pending for it 2", ring.Find("[data-node=behind] title").TextContent);
        Assert.Contains("1 links cut", ring.Find("[data-node=cut] title").TextContent);
    }

    [Fact]
    public void ThirtyNodesAreReadableWithoutLabelsAndWithoutOverlap()
    {
        for (var i = 0; i < 30; i++)
        {
            Fake.AddNode($"node{i}", IdAt(i, 30));
        }

        var ring = Render<Ring>(p => p.Add(r => r.Nodes, Fake.Statuses));

        Assert.Equal(30, ring.FindAll("[data-testid=ring-node]").Count);
        Assert.Empty(ring.FindAll("text.node-label"));
        var radius = double.Parse(ring.Find("circle.node-dot").GetAttribute("r")!, CultureInfo.InvariantCulture);
        Assert.True(2 * radius < 2 * Math.PI * Ring.Radius / 30, $"markers of radius {radius} overlap");
        Assert.All(ring.FindAll("[data-testid=ring-node] title"), t => Assert.Contains("id ", t.TextContent));
    }

    [Fact]
    public void AKeyIsPlacedAtItsHashWithItsReplicasHighlighted()
    {
        var a = Fake.AddNode("a", IdAt(0, 3));
        var b = Fake.AddNode("b", IdAt(1, 3));
        Fake.AddNode("c", IdAt(2, 3));
        var keyId = KeyPlacement.KeyId("user:42");

        var ring = Render<Ring>(p => p
            .Add(r => r.Nodes, Fake.Statuses)
            .Add(r => r.Key, "user:42")
            .Add(r => r.KeyId, keyId)
            .Add(r => r.Preferred, [a.NodeId!])
            .Add(r => r.Fallbacks, [b.NodeId!]));

        Assert.Contains(keyId, ring.Find("[data-testid=ring-key] title").TextContent);
        Assert.Equal("role-preferred", ring.Find("[data-node=a]").GetAttribute("data-role"));
        Assert.Equal("role-fallback", ring.Find("[data-node=b]").GetAttribute("data-role"));
        Assert.Equal("role-none", ring.Find("[data-node=c]").GetAttribute("data-role"));
        Assert.Equal(2, ring.FindAll("line.key-link").Count);
    }

    [Fact]
    public void TheHomePageDrawsEveryNodeOfTheClusterAndCountsTheHealthyOnes()
    {
        Fake.AddNode("node0", IdAt(0, 3));
        Fake.AddNode("node1", IdAt(1, 3));
        Fake.AddDownNode("node2");

        var home = Render<Home>();

        Assert.Equal(3, home.FindAll("[data-testid=ring-node]").Count);
        Assert.Contains("2 of 3 nodes healthy", home.Find("[data-testid=summary]").TextContent);
        Assert.Equal("down", home.Find("[data-node=node2]").GetAttribute("data-state"));
    }
}
