using System.Reflection;

namespace DynamoKad.Hosting;

/// <summary>When the node started and what build it runs.</summary>
public sealed class NodeClock(TimeProvider time)
{
    private readonly long _startedAt = time.GetTimestamp();

    public static string BuildVersion { get; } =
        typeof(NodeClock).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(NodeClock).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public TimeSpan Uptime => time.GetElapsedTime(_startedAt);
}
