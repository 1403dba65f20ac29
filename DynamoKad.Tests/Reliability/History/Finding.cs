namespace DynamoKad.Tests.Reliability.History;

/// <summary>One anomaly the checker found, with the operation it is about (for the history excerpt).</summary>
public sealed record Finding(FindingKind Kind, string Key, string? Value, string Detail, Operation? About)
{
    public override string ToString() => $"{Kind}: key {Key}{(Value is null ? "" : $" value {Value}")}: {Detail}";
}
