namespace DynamoKad.Kademlia;

/// <summary>Overlay parameters (configuration section <c>DynamoKad:Kademlia</c>), validated at start-up.</summary>
public sealed class KademliaOptions
{
    public const string SectionName = "DynamoKad:Kademlia";

    /// <summary>Kademlia §2.2: bucket capacity and the number of closest nodes a lookup returns.</summary>
    public int K { get; set; } = 20;

    /// <summary>Kademlia §2.3: the number of FIND_NODE requests a lookup keeps in flight.</summary>
    public int Alpha { get; set; } = 3;

    /// <summary>The deadline of each node-to-node RPC, in milliseconds.</summary>
    public int RpcTimeoutMs { get; set; } = 1500;

    /// <summary>The bound on one whole lookup, in milliseconds.</summary>
    public int LookupDeadlineMs { get; set; } = 10_000;

    /// <summary>Kademlia §2.3: a bucket with no lookup in its range for this long is refreshed.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A full bucket pings its least-recently-seen contact before keeping a newcomer out only when that
    /// contact has been silent this long; a contact heard from more recently is known to be alive, and
    /// probing it again is the traffic Kademlia §4.1 tells us to avoid.
    /// </summary>
    public TimeSpan StaleContactAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Kademlia §2.5: how often a node re-stores the DHT records it published.</summary>
    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The time to live of a DHT record when its publisher gives none.</summary>
    public TimeSpan RecordTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest wait between bootstrap attempts while every seed is unreachable (backoff doubles up to this).</summary>
    public TimeSpan BootstrapMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RpcTimeout => TimeSpan.FromMilliseconds(RpcTimeoutMs);

    public TimeSpan LookupDeadline => TimeSpan.FromMilliseconds(LookupDeadlineMs);
}
