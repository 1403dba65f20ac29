using DynamoKad.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DynamoKad.Kademlia;

/// <summary>
/// "kademlia": Degraded while the node has seeds (other than itself) but an empty routing table: it
/// cannot find replicas, and must say so rather than serve from a silent empty table. Healthy otherwise.
/// </summary>
internal sealed class KademliaHealthCheck(KademliaNode node, IOptions<ClusterOptions> cluster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var seeds = cluster.Value.Seeds.Count(s => !string.IsNullOrWhiteSpace(s));
        var contacts = node.RoutingTable.Count;
        var data = new Dictionary<string, object> { ["contacts"] = contacts, ["seeds"] = seeds };
        if (seeds > 0 && contacts == 0 && !node.IsOwnSeed)
        {
            var problem = node.BootstrapProblem ?? "joining through the seeds";
            return Task.FromResult(HealthCheckResult.Degraded($"Kademlia routing table is empty: {problem}", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(
            contacts == 0 ? "first node: waiting for peers to join through it" : $"{contacts} contacts", data));
    }
}
