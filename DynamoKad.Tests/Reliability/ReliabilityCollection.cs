namespace DynamoKad.Tests.Reliability;

/// <summary>
/// One collection for every reliability class, so their multi-process clusters run one at a time (in parallel
/// with the rest of the suite, not with each other): two cores cannot host three clusters and keep timings sane.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection
{
    public const string Name = "Reliability";
}
