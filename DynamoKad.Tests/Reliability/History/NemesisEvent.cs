using System.Globalization;

namespace DynamoKad.Tests.Reliability.History;

/// <summary>A fault injected or healed, at <see cref="AtMs"/> since the run started.</summary>
public sealed record NemesisEvent(double AtMs, string Description)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"        {AtMs,9:0.0} ms  nemesis: {Description}");
}
