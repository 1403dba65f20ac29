namespace DynamoKad.Bench;

/// <summary>What each closed-loop caller does: only puts, only gets, or a random mix of both.</summary>
internal enum BenchOperation
{
    Put,
    Get,
    Mixed,
}
