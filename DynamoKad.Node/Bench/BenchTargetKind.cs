namespace DynamoKad.Bench;

internal enum BenchTargetKind
{
    /// <summary>A DynamoKad cluster through the KeyValue gRPC API; any node coordinates.</summary>
    DynamoKad,

    /// <summary>An etcd cluster through its v3 gRPC KV API (puts through Raft, serializable ranges).</summary>
    Etcd,

    /// <summary>The gRPC floor: a unary echo served by <c>bench echo-server</c>.</summary>
    Echo,
}
