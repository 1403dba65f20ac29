using Microsoft.Extensions.Configuration;

namespace DynamoKad.AppHost;

/// <summary>
/// The AppHost's own options, from the command line (<c>-- --nodes 7 --n 3 --r 2 --w 2</c>) or configuration:
/// how many nodes, the quorum defaults every node gets, where their data lives, and where the DynamoKad
/// dashboard listens.
/// </summary>
internal sealed record ClusterSettings(int Nodes, int N, int R, int W, string DataRoot, int? DashboardPort, bool Clean)
{
    public const int DefaultNodes = 5;
    public const int DefaultDashboardPort = 5180;
    public const int MaxNodes = 64;

    /// <summary>Dynamo's classic (3, 2, 2), narrowed to the cluster when it has fewer than 3 nodes.</summary>
    public const int DefaultN = 3;

    public static ClusterSettings From(IConfiguration configuration, string appHostDirectory)
    {
        var nodes = configuration.GetValue("nodes", DefaultNodes);
        if (nodes is < 1 or > MaxNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), nodes, $"--nodes must be between 1 and {MaxNodes}; got {nodes}.");
        }

        var n = configuration.GetValue("n", Math.Min(DefaultN, nodes));
        if (n < 1 || n > nodes)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), n, $"--n (replicas per key) must be between 1 and --nodes ({nodes}); got {n}.");
        }

        // A majority by default, so that R + W > N: a read quorum always meets the last write quorum.
        var r = configuration.GetValue("r", (n / 2) + 1);
        var w = configuration.GetValue("w", (n / 2) + 1);
        if (r < 1 || r > n)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), r, $"--r (read quorum) must be between 1 and --n ({n}); got {r}.");
        }

        if (w < 1 || w > n)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), w, $"--w (write quorum) must be between 1 and --n ({n}); got {w}.");
        }

        // Kept across AppHost restarts so a node keeps its id and data; --clean starts from nothing.
        var dataRoot = configuration["data-root"] is { Length: > 0 } root
            ? Path.GetFullPath(root)
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", "data", "aspire"));

        var port = configuration.GetValue("dashboard-port", DefaultDashboardPort);
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), port, $"--dashboard-port must be 0 (any free port) or 1-65535; got {port}.");
        }

        return new ClusterSettings(nodes, n, r, w, dataRoot, port == 0 ? null : port, configuration.GetValue("clean", false));
    }

    public string NodeDataDir(string nodeName) => Path.Combine(DataRoot, nodeName);
}
