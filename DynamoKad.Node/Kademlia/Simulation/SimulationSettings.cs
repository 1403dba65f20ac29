namespace DynamoKad.Kademlia.Simulation;

/// <summary>One simulator run: network size, workload, protocol parameters and faults.</summary>
/// <param name="Nodes">Nodes that join, one after another, each through a random earlier node.</param>
/// <param name="Lookups">Random-target lookups from random live nodes.</param>
/// <param name="K">Bucket size and lookup result size.</param>
/// <param name="Alpha">Lookup parallelism.</param>
/// <param name="Seed">Everything random derives from this.</param>
/// <param name="Churn">Fraction of nodes that fail halfway through the lookups.</param>
/// <param name="Loss">Probability that a message (request or reply) is lost.</param>
/// <param name="Values">DHT records stored after the joins and looked up (FIND_VALUE) after the lookups.</param>
public sealed record SimulationSettings(int Nodes, int Lookups, int K, int Alpha, int Seed, double Churn, double Loss, int Values)
{
    /// <summary>Simulated time per join, lookup or store: long enough for stale-contact pings to happen now and then.</summary>
    public static readonly TimeSpan StepTime = TimeSpan.FromMilliseconds(10);
}
