namespace DynamoKad.Kademlia;

/// <summary>
/// The outcome of an iterative lookup: the closest live contacts to the target (closest first; they all
/// answered, and the looking-up node itself is included when it is among them), plus what it cost.
/// </summary>
/// <param name="Closest">Up to k contacts that answered, closest to the target first.</param>
/// <param name="Rounds">Rounds of parallel requests (the simulator's "hops").</param>
/// <param name="Rpcs">Requests sent, including those that got no answer.</param>
/// <param name="Failures">Requests that got no answer.</param>
/// <param name="TimedOut">The lookup deadline passed before the k closest had all answered.</param>
/// <param name="Value">For a FIND_VALUE lookup, the record found (null when none was).</param>
public sealed record LookupResult(
    IReadOnlyList<Contact> Closest,
    int Rounds,
    int Rpcs,
    int Failures,
    bool TimedOut,
    byte[]? Value = null);
