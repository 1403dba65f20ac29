using System.Text.Json;
using System.Text.Json.Serialization;

namespace DynamoKad.Kademlia.Simulation;

/// <summary>What one simulator run measured; <see cref="ToJson"/> is the final line the simulator prints.</summary>
public sealed record SimulationReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required int Nodes { get; init; }

    public required int Lookups { get; init; }

    public required int K { get; init; }

    public required int Alpha { get; init; }

    public required int Seed { get; init; }

    public required double Churn { get; init; }

    public required double Loss { get; init; }

    /// <summary>Fraction of lookups whose result is exactly the true k closest live nodes.</summary>
    public required double SuccessRate { get; init; }

    /// <summary>Mean fraction of the true k closest live nodes that a lookup returned.</summary>
    public required double Recall { get; init; }

    /// <summary>With churn: the success rate of the lookups run after the failures, before any refresh.</summary>
    public double? SuccessRateAfterChurn { get; init; }

    /// <summary>With churn: the success rate once every live node has refreshed its buckets once (Kademlia §2.3).</summary>
    public double? SuccessRateAfterRefresh { get; init; }

    public required int HopsP50 { get; init; }

    public required int HopsP99 { get; init; }

    public required int HopsMax { get; init; }

    public required int RpcsP50 { get; init; }

    public required int RpcsP99 { get; init; }

    public required int FailedNodes { get; init; }

    public required double JoinMessagesMean { get; init; }

    public required double TableSizeMean { get; init; }

    public required long Messages { get; init; }

    public required long LostMessages { get; init; }

    public required int Values { get; init; }

    /// <summary>Fraction of stored records that a FIND_VALUE from a random live node found.</summary>
    public required double ValuesFoundRate { get; init; }

    public required double ValuesStoredMean { get; init; }

    public required int ValueHopsP50 { get; init; }

    public required int ValueHopsP99 { get; init; }

    public required int ValueRpcsP50 { get; init; }

    public required int ValueRpcsP99 { get; init; }

    [JsonIgnore]
    public IReadOnlyList<int> FailedLookupIndices { get; init; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
