namespace DynamoKad.Tests.EndToEnd;

/// <summary>
/// A 5-node cluster for the tests that break it (one per test class): with N=3 there are fallbacks for hinted
/// handoff, and repair runs every couple of seconds instead of every half minute so a test can watch it.
/// </summary>
public sealed class FiveNodeClusterFixture() : AspireClusterFixture(
    Size,
    new Dictionary<string, string>
    {
        ["DynamoKad__Replication__HintDeliveryIntervalMs"] = "1000",
        ["DynamoKad__Replication__AntiEntropyIntervalMs"] = "2000",
    })
{
    public const int Size = 5;
}
