namespace DynamoKad.Replication;

/// <summary>A per-request quorum that cannot work (e.g. R greater than N); the API answers INVALID_ARGUMENT.</summary>
public sealed class QuorumValidationException(string message) : Exception(message);
