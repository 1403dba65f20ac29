using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>A node that can hold replicas: its id and the gRPC address to dial.</summary>
public sealed record ReplicaPeer(NodeId Id, string Address);
