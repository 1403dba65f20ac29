namespace DynamoKad.Tests.Reliability.History;

/// <summary>
/// What the client learned. Jepsen's vocabulary, with one Dynamo twist: a write that "failed" with UNAVAILABLE
/// (quorum not reached) may still have reached some replicas and spread from there, so for the checker only
/// <see cref="Ok"/> is definite; a failed or unknown write is a write that may have happened.
/// </summary>
public enum Outcome
{
    /// <summary>Invoked, no answer yet (only while the run is going).</summary>
    Pending,

    /// <summary>Acknowledged.</summary>
    Ok,

    /// <summary>The node answered with an error status (UNAVAILABLE, INVALID_ARGUMENT...).</summary>
    Fail,

    /// <summary>No answer: deadline, connection refused or reset (the coordinator died mid-call).</summary>
    Unknown,
}
