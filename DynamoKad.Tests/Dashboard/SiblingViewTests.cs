extern alias DashboardApp;

using Bunit;
using DashboardApp::DynamoKad.Dashboard.Components.Pages;
using DashboardApp::DynamoKad.Dashboard.Geometry;
using DashboardApp::DynamoKad.Protos.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace DynamoKad.Tests.Dashboard;

public sealed class SiblingViewTests : DashboardTestContext
{
    private static readonly byte[] NodeA = Convert.FromHexString("aa00000000000000000000000000000000000000");
    private static readonly byte[] NodeB = Convert.FromHexString("bb00000000000000000000000000000000000000");

    [Fact]
    public void ConcurrentVersionsAreShownSideBySideWithTheirClocks()
    {
        GivenACluster();
        Fake.Reads["cart"] = TwoSiblings();

        var page = OpenKey("cart");

        var siblings = page.FindAll("[data-testid=sibling]");
        Assert.Equal(2, siblings.Count);
        Assert.Equal(["milk", "eggs"], page.FindAll("[data-testid=sibling-value]").Select(v => v.TextContent));
        Assert.Equal(["aa000000:1", "bb000000:1"], page.FindAll("[data-testid=sibling-clock]").Select(c => c.TextContent));
        Assert.Contains("2 replicas answered: node0, node1", page.Find("[data-testid=read-meta]").TextContent);
        Assert.Contains("read repair scheduled", page.Find("[data-testid=read-meta]").TextContent);
    }

    [Fact]
    public void KeepingOneSiblingWritesItWithTheReadsContext()
    {
        GivenACluster();
        Fake.Reads["cart"] = TwoSiblings();
        var page = OpenKey("cart");

        page.FindAll("[data-testid=keep-sibling]")[1].Click();

        var put = Assert.Single(Fake.Puts);
        Assert.Equal(("cart", "eggs", "ctx-both"), (put.Key, put.Value, put.Context));
    }

    [Fact]
    public void AMergedValueIsWrittenWithTheReadsContext()
    {
        GivenACluster();
        Fake.Reads["cart"] = TwoSiblings();
        var page = OpenKey("cart");

        page.Find("[data-testid=merged-value]").Input("milk, eggs");
        page.Find("[data-testid=write-merged]").Click();

        var put = Assert.Single(Fake.Puts);
        Assert.Equal(("cart", "milk, eggs", "ctx-both"), (put.Key, put.Value, put.Context));
    }

    [Fact]
    public void AFailedResolutionIsShownOnThePageAndTheSiblingsStay()
    {
        GivenACluster();
        Fake.Reads["cart"] = TwoSiblings();
        Fake.PutFailure = "write quorum not met: 1 of 2 acks";
        var page = OpenKey("cart");

        page.FindAll("[data-testid=keep-sibling]")[0].Click();

        Assert.Contains("node0: Unavailable · write quorum not met: 1 of 2 acks", page.Find("[data-testid=action-error]").TextContent);
        Assert.Equal(2, page.FindAll("[data-testid=sibling]").Count);
        Assert.Empty(Fake.Puts);
    }

    [Fact]
    public void OneVersionNeedsNoResolution()
    {
        GivenACluster();
        Fake.Reads["cart"] = new GetResponse { Found = true, Context = "c", Siblings = { Sibling("milk", NodeA) } };

        var page = OpenKey("cart");

        Assert.Single(page.FindAll("[data-testid=sibling]"));
        Assert.Empty(page.FindAll("[data-testid=keep-sibling]"));
        Assert.Empty(page.FindAll("[data-testid=write-merged]"));
    }

    [Fact]
    public void EachReplicasLocalVersionsComeFromTheInspector()
    {
        var nodes = GivenACluster();
        Fake.Reads["cart"] = TwoSiblings();
        Fake.Inspections["cart"] = new KeyInspection
        {
            KeyId = KeyPlacement.KeyId("cart"),
            Replicas =
            {
                new ReplicaHolding { NodeId = nodes[0], Preferred = true, Reachable = true, Versions = { Version("milk", NodeA) } },
                new ReplicaHolding { NodeId = nodes[1], Preferred = true, Reachable = true, Versions = { Version("milk", NodeA), Version("eggs", NodeB) } },
                new ReplicaHolding { NodeId = nodes[3], Preferred = false, Reachable = true },
            },
            Hints = { new HintHolding { HolderNodeId = nodes[3], TargetNodeId = nodes[2], Version = Version("eggs", NodeB) } },
        };

        var page = OpenKey("cart");

        Assert.Equal(3, page.FindAll("[data-testid=replica]").Count);
        Assert.Equal(2, page.FindAll("[data-node=node1] [data-testid=replica-version]").Count);
        Assert.Contains("node3 holds a hint for node2", page.Find("[data-testid=hint]").TextContent);
        Assert.Equal("role-preferred", page.Find("[data-testid=ring-node][data-node=node0]").GetAttribute("data-role"));
        Assert.Equal("role-fallback", page.Find("[data-testid=ring-node][data-node=node3]").GetAttribute("data-role"));
        Assert.Empty(page.FindAll("[data-testid=inspection-note]"));
    }

    [Fact]
    public void WithoutTheInspectorThePreferenceListIsComputedFromTheIds()
    {
        var nodes = GivenACluster();
        var expected = KeyPlacement.PreferenceList(KeyPlacement.KeyId("cart"), nodes, 3);

        var page = OpenKey("cart");

        Assert.Contains("Unimplemented", page.Find("[data-testid=inspection-note]").TextContent);
        var highlighted = page.FindAll("[data-testid=ring-node][data-role=role-preferred]")
            .Select(n => Fake.Statuses.Single(s => s.Name == n.GetAttribute("data-node")).NodeId!)
            .Order()
            .ToList();
        Assert.Equal(expected.Order().ToList(), highlighted);
    }

    private List<string> GivenACluster() =>
        Enumerable.Range(0, 4).Select(i => Fake.AddNode($"node{i}", IdAt(i, 4)).NodeId!).ToList();

    private IRenderedComponent<Keys> OpenKey(string key)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"keys?key={Uri.EscapeDataString(key)}");
        var page = Render<Keys>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=read-result]")));
        return page;
    }

    private GetResponse TwoSiblings() => new()
    {
        Found = true,
        Context = "ctx-both",
        ReplicasAnswered = 2,
        AnsweredBy = { Fake.Statuses[0].NodeId, Fake.Statuses[1].NodeId },
        ReadRepairScheduled = true,
        Siblings = { Sibling("milk", NodeA), Sibling("eggs", NodeB) },
    };

    private static Sibling Sibling(string value, byte[] node) =>
        new() { Value = ByteString.CopyFromUtf8(value), Clock = ClockOf(node) };

    private static VersionView Version(string value, byte[] node) =>
        new() { Value = ByteString.CopyFromUtf8(value), Clock = ClockOf(node) };

    private static VectorClock ClockOf(byte[] node) =>
        new() { Entries = { new ClockEntry { NodeId = ByteString.CopyFrom(node), Counter = 1, TimestampUnixMs = 1 } } };
}
