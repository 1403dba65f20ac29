namespace DynamoKad.Replication;

/// <summary>A causal context token that is malformed, truncated, of an unknown version or tampered with.</summary>
public sealed class InvalidCausalContextException(string message) : Exception(message);
