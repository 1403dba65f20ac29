namespace DynamoKad.Replication;

/// <summary>How two clocks relate (Dynamo §4.4): one happened before the other, they are the same, or neither.</summary>
public enum ClockOrder
{
    Before,
    After,
    Equal,
    Concurrent,
}
