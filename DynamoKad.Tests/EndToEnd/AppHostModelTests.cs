using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>The AppHost's application model, built but not started: what every node is launched with.</summary>
public sealed class AppHostModelTests
{
    [Fact]
    public async Task EveryNodeRunsWithTheMeasuredGen0Budget()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DynamoKad_AppHost>(
            ["--nodes", "3", "--dashboard-port", "0", "--Parameters:cluster-secret", "model-test-secret-0123456789abcdef"],
            cts.Token);
        var nodes = builder.Resources.OfType<ProjectResource>().Where(r => r.Name.StartsWith("node", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, nodes.Count);
        foreach (var node in nodes)
        {
            // The runtime reads this budget from the environment only (a runtimeconfig property is ignored).
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));
            foreach (var annotation in node.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await annotation.Callback(context);
            }

            Assert.True(context.EnvironmentVariables.TryGetValue("DOTNET_GCgen0size", out var budget), $"{node.Name} has no DOTNET_GCgen0size");
            Assert.Equal("0x4000000", budget);
        }
    }
}
