using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DynamoKad.Telemetry;

/// <summary>
/// The one name of the node's telemetry: its <see cref="ActivitySource"/> and its <see cref="Meter"/> are both
/// "DynamoKad" (ServiceDefaults subscribes to that name for traces and metrics alike).
/// </summary>
public static class DynamoKadTelemetry
{
    public const string Name = "DynamoKad";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>Instruments recorded where no service container reaches (the WAL's flusher thread, the coordinator's hot path).</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// Starts <paramref name="name"/> as the root of a trace of its own, linked to <paramref name="cause"/> when
    /// there is one: background work (read repair, hint delivery, anti-entropy) outlives the request or timer
    /// tick that caused it, and a child span would stretch that trace past its answer.
    /// </summary>
    /// <remarks>Call it at the top of an async method: the cleared <see cref="Activity.Current"/> does not leak to the caller.</remarks>
    public static Activity? StartLinkedRoot(string name, ActivityContext cause = default, ActivityKind kind = ActivityKind.Internal)
    {
        Activity.Current = null;
        ActivityLink[]? links = cause == default ? null : [new ActivityLink(cause)];
        return Source.StartActivity(name, kind, parentContext: default, links: links);
    }
}
