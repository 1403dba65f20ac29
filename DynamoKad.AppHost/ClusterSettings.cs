using Microsoft.Extensions.Configuration;

namespace DynamoKad.AppHost;

/// <summary>
/// The AppHost's own options, from the command line (<c>-- --nodes 7</c>) or configuration:
/// how many nodes, where their data lives, and where the DynamoKad dashboard listens.
/// </summary>
internal sealed record ClusterSettings(int Nodes, string DataRoot, int? DashboardPort, bool Clean)
{
    public const int DefaultNodes = 5;
    public const int DefaultDashboardPort = 5180;
    public const int MaxNodes = 64;

    public static ClusterSettings From(IConfiguration configuration, string appHostDirectory)
    {
        var nodes = configuration.GetValue("nodes", DefaultNodes);
        if (nodes is < 1 or > MaxNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), nodes, $"--nodes must be between 1 and {MaxNodes}; got {nodes}.");
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

        return new ClusterSettings(nodes, dataRoot, port == 0 ? null : port, configuration.GetValue("clean", false));
    }

    public string NodeDataDir(string nodeName) => Path.Combine(DataRoot, nodeName);
}
