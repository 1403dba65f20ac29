namespace DynamoKad.Replication;

/// <summary>A request that did not reach its quorum; the API answers UNAVAILABLE with this message.</summary>
public sealed class QuorumNotReachedException(string operation, int required, int answered, int n)
    : Exception($"{operation} reached {answered} of the {required} replicas required (N={n}).")
{
    public string Operation { get; } = operation;

    public int Required { get; } = required;

    public int Answered { get; } = answered;

    public int N { get; } = n;
}
