using System.Diagnostics;

namespace DynamoKad.Dashboard.Telemetry;

/// <summary>
/// The dashboard's own spans: one around each request a person makes from the page, so the node's
/// <c>kv.put</c> / <c>kv.get</c> trace has a root the page can link to in the Aspire dashboard.
/// </summary>
public static class DashboardTelemetry
{
    public const string SourceName = "DynamoKad.Dashboard";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The Aspire dashboard's page for a trace.</summary>
    public static Uri TraceUrl(Uri aspireDashboard, string traceId) => new(aspireDashboard, $"traces/detail/{traceId}");
}
