using System.Text.Json;

namespace DynamoKad.Tests.Hosting;

/// <summary>The runtime settings a node starts with, as its build writes them into DynamoKad.Node.runtimeconfig.json.</summary>
public sealed class RuntimeConfigTests
{
    [Fact]
    public void IdleThreadPoolWorkersSpinLittleBeforeBlocking()
    {
        // The build output of DynamoKad.Node is copied next to the tests (the multi-process tests run it from there).
        var path = Path.Combine(AppContext.BaseDirectory, "DynamoKad.Node.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit), $"{path} sets no spin limit");
        Assert.Equal(10, spinLimit.GetInt32());
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
    }
}
