extern alias DashboardApp;

using Bunit;
using Bunit.TestDoubles;
using DashboardApp::DynamoKad.Dashboard.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.FluentUI.AspNetCore.Components;

namespace DynamoKad.Tests.Dashboard;

/// <summary>
/// A bUnit context with Fluent UI's services, the fake cluster and a fake clock: the pages' two-second refresh
/// never fires on its own, so a test sees exactly the renders it causes.
/// </summary>
public abstract class DashboardTestContext : BunitContext
{
    internal FakeClusterClient Fake { get; } = new();

    internal FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The state a prerender hands to the circuit (empty unless a test persists into it).</summary>
    internal BunitPersistentComponentState PrerenderState { get; }

    protected DashboardTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddFluentUIComponents();
        Services.AddSingleton<IClusterClient>(Fake);
        Services.AddSingleton<TimeProvider>(Clock);
        PrerenderState = AddBunitPersistentComponentState();
    }

    /// <summary>Ids spread over the ring: node i at i/count of a turn, so tests know where each should be drawn.</summary>
    internal static string IdAt(int index, int count)
    {
        var top = (ulong)(index * (18446744073709551616.0 / count));
        return top.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + new string('0', 24);
    }
}
