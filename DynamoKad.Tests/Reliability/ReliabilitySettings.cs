using System.Globalization;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// The knobs a reliability run reads from the environment, so the soak script runs the very tests CI runs,
/// only longer: <c>DYNAMOKAD_RELIABILITY_SEED</c> replays a run, <c>DYNAMOKAD_RELIABILITY_SECONDS</c> sets
/// how long each workload phase lasts (CI default: a few seconds per phase).
/// </summary>
internal static class ReliabilitySettings
{
    public static int Seed(out string origin)
    {
        var text = Environment.GetEnvironmentVariable("DYNAMOKAD_RELIABILITY_SEED");
        if (int.TryParse(text, CultureInfo.InvariantCulture, out var seed))
        {
            origin = "from DYNAMOKAD_RELIABILITY_SEED";
            return seed;
        }

        origin = "random; replay with DYNAMOKAD_RELIABILITY_SEED";
        return Random.Shared.Next();
    }

    /// <summary>The workload duration: the CI default unless the soak script asks for more.</summary>
    public static TimeSpan Duration(TimeSpan ciDefault)
    {
        var text = Environment.GetEnvironmentVariable("DYNAMOKAD_RELIABILITY_SECONDS");
        return double.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : ciDefault;
    }

    /// <summary>True when the soak script runs the tests (longer phases, more faults).</summary>
    public static bool IsSoak => Environment.GetEnvironmentVariable("DYNAMOKAD_RELIABILITY_SECONDS") is { Length: > 0 };
}
