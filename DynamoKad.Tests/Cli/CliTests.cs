using System.CommandLine;
using DynamoKad.Cli;

namespace DynamoKad.Tests.Cli;

/// <summary>The client verbs against a real 3-node standalone cluster (three processes).</summary>
[Trait("Category", "MultiProcess")]
public sealed class CliTests(StandaloneCluster cluster) : IClassFixture<StandaloneCluster>
{
    [Fact]
    public async Task AValuePutThroughOneNodeIsReadThroughAnother()
    {
        var put = await RunAsync("kv", "put", "city", "Lisbon", "--node", cluster.Nodes[0].Http);
        Assert.Equal(0, put.ExitCode);
        Assert.StartsWith("OK context: ", put.Output, StringComparison.Ordinal);

        var get = await RunAsync("kv", "get", "city", "--node", cluster.Nodes[2].Http);
        Assert.Equal(0, get.ExitCode);
        Assert.Contains("[1] Lisbon", get.Output, StringComparison.Ordinal);
        Assert.Contains("context: ", get.Output, StringComparison.Ordinal);
        Assert.Contains("clock {", get.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentPutsShowAsSiblingsUntilAPutWithTheContextResolvesThem()
    {
        Assert.Equal(0, (await RunAsync("kv", "put", "pet", "cat", "--node", cluster.Nodes[0].Http)).ExitCode);
        Assert.Equal(0, (await RunAsync("kv", "put", "pet", "dog", "--node", cluster.Nodes[1].Http)).ExitCode);

        var both = await RunAsync("kv", "get", "pet", "--node", cluster.Nodes[2].Http, "--r", "3");
        Assert.Contains("2 siblings", both.Output, StringComparison.Ordinal);
        Assert.Contains("cat", both.Output, StringComparison.Ordinal);
        Assert.Contains("dog", both.Output, StringComparison.Ordinal);
        var context = both.Output.Split('\n').Single(l => l.StartsWith("context: ", StringComparison.Ordinal))["context: ".Length..].Trim();

        Assert.Equal(0, (await RunAsync("kv", "put", "pet", "cat+dog", "--context", context, "--node", cluster.Nodes[2].Http)).ExitCode);
        var resolved = await RunAsync("kv", "get", "pet", "--node", cluster.Nodes[0].Http, "--r", "3");
        Assert.Contains("1 value:", resolved.Output, StringComparison.Ordinal);
        Assert.Contains("[1] cat+dog", resolved.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedKeyIsNotFoundWithExitCode1AndAOneLineReason()
    {
        Assert.Equal(0, (await RunAsync("kv", "put", "temp", "x", "--node", cluster.Nodes[1].Http)).ExitCode);
        Assert.Equal(0, (await RunAsync("kv", "delete", "temp", "--node", cluster.Nodes[0].Http)).ExitCode);

        var get = await RunAsync("kv", "get", "temp", "--node", cluster.Nodes[2].Http);
        Assert.Equal(CliExitCodes.NotFound, get.ExitCode);
        Assert.Equal("error: not found: The key 'temp' does not exist or was deleted.", get.Error.Trim());
    }

    [Fact]
    public async Task AnImpossibleQuorumIsABadRequestWithExitCode2()
    {
        var get = await RunAsync("kv", "get", "city", "--r", "5", "--node", cluster.Nodes[0].Http);

        Assert.Equal(CliExitCodes.BadRequest, get.ExitCode);
        Assert.StartsWith("error: bad request: ", get.Error, StringComparison.Ordinal);
        Assert.Contains("R", get.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableNodeIsExitCode3()
    {
        var get = await RunAsync("kv", "get", "city", "--node", $"http://127.0.0.1:{Api.InProcessNode.FreePort()}");

        Assert.Equal(CliExitCodes.Unavailable, get.ExitCode);
        Assert.StartsWith("error: cannot reach ", get.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterStatusListsEveryNodeAndTheBucketFill()
    {
        var status = await RunAsync("cluster", "status", "--node", cluster.Nodes[1].Grpc, "--secret", StandaloneCluster.Secret);

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("(node1)", status.Output, StringComparison.Ordinal);
        foreach (var (grpc, _) in cluster.Nodes)
        {
            Assert.Contains(grpc, status.Output, StringComparison.Ordinal);
        }

        Assert.Contains("self", status.Output, StringComparison.Ordinal);
        Assert.Equal(2, status.Output.Split('\n').Count(l => l.Contains(" alive ", StringComparison.Ordinal)));
        Assert.Contains("routing table: 2 contacts", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterStatusWithoutTheSecretIsRefused()
    {
        var status = await RunAsync("cluster", "status", "--node", cluster.Nodes[0].Grpc);

        Assert.Equal(CliExitCodes.Failed, status.ExitCode);
        Assert.Contains("Unauthenticated", status.Error, StringComparison.Ordinal);
        Assert.Contains("--secret", status.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheExecutableItselfExitsWithTheVerbsExitCode()
    {
        var (exitCode, output) = await NodeProcess.RunAsync("kv", "get", "never-written", "--node", cluster.Nodes[0].Http);

        Assert.Equal(CliExitCodes.NotFound, exitCode);
        Assert.Contains("error: not found:", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { KvCommand.Create(output, error), ClusterCommand.Create(output, error) };
        var exitCode = await root.Parse(args).InvokeAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, output.ToString(), error.ToString());
    }
}
