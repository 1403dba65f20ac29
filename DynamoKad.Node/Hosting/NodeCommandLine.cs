using System.CommandLine;

namespace DynamoKad.Hosting;

/// <summary>
/// One executable, several verbs (like <c>consul agent</c> / <c>consul kv</c>). With no verb the node
/// serves, so <c>dotnet run --project DynamoKad.Node</c> and Aspire start a node.
/// </summary>
internal static class NodeCommandLine
{
    private static readonly string[] RootOnlyTokens = ["-h", "--help", "-?", "/?", "--version"];

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("DynamoKad: a Dynamo-style key-value store on a Kademlia overlay.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(Cli.KvCommand.Create());
        root.Subcommands.Add(Cli.ClusterCommand.Create());
        root.Subcommands.Add(Storage.StorageCrashWriterCommand.Create());
        root.Subcommands.Add(Kademlia.Simulation.SimulateCommand.Create());
        root.Subcommands.Add(Storage.StorageBenchmarkCommand.Create());
        root.Subcommands.Add(Bench.BenchCommand.Create());

        if (args.Length == 0 || (args[0].StartsWith('-') && !RootOnlyTokens.Contains(args[0])))
        {
            args = ["serve", .. args];
        }

        // The host handles SIGTERM / Ctrl+C itself and shuts down gracefully; System.CommandLine's own
        // termination timeout would otherwise end the process before in-flight requests finish.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
