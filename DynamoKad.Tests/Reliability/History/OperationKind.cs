namespace DynamoKad.Tests.Reliability.History;

public enum OperationKind
{
    Get,
    Put,
    Delete,
}
