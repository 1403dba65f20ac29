using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>
/// One real Aspire cluster (3 nodes + the DynamoKad dashboard, each a separate process) shared by the
/// end-to-end and browser tests of the <see cref="AspireClusterCollection"/>. Data lives in a fresh
/// temporary directory that is removed afterwards.
/// </summary>
public sealed class AspireClusterFixture : IAsyncLifetime
{
    public const int NodeCount = 3;
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private DistributedApplication? _app;

    public string DataRoot { get; } = Path.Combine(Path.GetTempPath(), "dynamokad-e2e-" + Guid.NewGuid().ToString("N"));

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The cluster has not started.");

    public static IEnumerable<string> NodeNames => Enumerable.Range(0, NodeCount).Select(i => $"node{i}");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DynamoKad_AppHost>(
            ["--nodes", NodeCount.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-root", DataRoot, "--dashboard-port", "0"],
            cts.Token);
        _app = await builder.BuildAsync(cts.Token).WaitAsync(StartTimeout);
        await _app.StartAsync(cts.Token).WaitAsync(StartTimeout);
        foreach (var name in NodeNames.Append("dashboard"))
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token).WaitAsync(StartTimeout);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        try
        {
            if (_app is not null)
            {
                await _app.StopAsync().WaitAsync(OperationTimeout);
                await _app.DisposeAsync().AsTask().WaitAsync(OperationTimeout);
            }
        }
        finally
        {
            if (Directory.Exists(DataRoot))
            {
                Directory.Delete(DataRoot, recursive: true);
            }
        }
    }

    /// <summary>A gRPC channel to a node's gRPC endpoint (h2c through Aspire's proxy).</summary>
    public GrpcChannel Channel(string node)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(node, out var channel))
            {
                channel = GrpcChannel.ForAddress(App.GetEndpoint(node, "grpc"));
                _channels[node] = channel;
            }

            return channel;
        }
    }

    public Uri DashboardUrl => App.GetEndpoint("dashboard", "http");

    public async Task WaitForStateAsync(string resource, string state, CancellationToken cancellationToken) =>
        await App.ResourceNotifications.WaitForResourceAsync(resource, state, cancellationToken).WaitAsync(OperationTimeout, cancellationToken);
}

[CollectionDefinition(Name)]
public sealed class AspireClusterCollection : ICollectionFixture<AspireClusterFixture>
{
    public const string Name = "Aspire cluster";
}
