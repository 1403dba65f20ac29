using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Core;
using Grpc.Net.Client;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>
/// One real Aspire cluster (3 nodes + the DynamoKad dashboard, each a separate process) shared by the
/// end-to-end and browser tests of the <see cref="AspireClusterCollection"/>. Data lives in a fresh
/// temporary directory that is removed afterwards.
/// </summary>
public class AspireClusterFixture : IAsyncLifetime
{
    public const int NodeCount = 3;
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, GrpcChannel> _channels = [];
    private readonly int _nodes;
    private readonly IReadOnlyDictionary<string, string> _nodeSettings;
    private DistributedApplication? _app;

    public AspireClusterFixture()
        : this(NodeCount, new Dictionary<string, string>())
    {
    }

    /// <param name="nodes">How many node resources the AppHost starts.</param>
    /// <param name="nodeSettings">Extra environment for every node (e.g. shorter repair intervals).</param>
    protected AspireClusterFixture(int nodes, IReadOnlyDictionary<string, string> nodeSettings)
    {
        _nodes = nodes;
        _nodeSettings = nodeSettings;
    }

    /// <summary>The node resource names of this cluster (node0..).</summary>
    public IReadOnlyList<string> Nodes => [.. Enumerable.Range(0, _nodes).Select(i => $"node{i}")];

    public string DataRoot { get; } = Path.Combine(Path.GetTempPath(), "dynamokad-e2e-" + Guid.NewGuid().ToString("N"));

    /// <summary>The cluster secret the AppHost hands every node (chosen here rather than generated and persisted).</summary>
    public string Secret { get; } = "e2e-" + Guid.NewGuid().ToString("N");

    /// <summary>Metadata for Admin and node-to-node calls: the cluster secret.</summary>
    public Metadata SecretHeaders => new() { { "x-dynamokad-secret", Secret } };

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The cluster has not started.");

    public static IEnumerable<string> NodeNames => Enumerable.Range(0, NodeCount).Select(i => $"node{i}");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DynamoKad_AppHost>(
            ["--nodes", _nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-root", DataRoot, "--dashboard-port", "0",
             "--Parameters:cluster-secret", Secret],
            cts.Token);
        // The test host runs no Aspire dashboard, yet Aspire still points every project's OTLP exporter at
        // localhost:4317 with in-memory retry: a node would then spend its shutdown retrying exports and DCP
        // would report the stop as failed. Without the endpoint, ServiceDefaults adds no OTLP exporter.
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        foreach (var node in builder.Resources.OfType<ProjectResource>().Where(r => Nodes.Contains(r.Name)).ToList())
        {
            foreach (var (name, value) in _nodeSettings)
            {
                builder.CreateResourceBuilder(node).WithEnvironment(name, value);
            }
        }

        _app = await builder.BuildAsync(cts.Token).WaitAsync(StartTimeout);
        await _app.StartAsync(cts.Token).WaitAsync(StartTimeout);
        foreach (var name in Nodes.Append("dashboard"))
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

    /// <summary>
    /// Stops a resource with the built-in command and waits until it is <c>Finished</c>. DCP sometimes reports
    /// a stop as failed while the process is still exiting, so the command is retried before giving up.
    /// </summary>
    public async Task StopResourceAsync(string resource, CancellationToken cancellationToken)
    {
        string? lastMessage = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var result = await App.ResourceCommands.ExecuteCommandAsync(resource, "stop", cancellationToken);
            if (result.Success || IsInState(resource, KnownResourceStates.Finished, KnownResourceStates.Exited))
            {
                await WaitForStateAsync(resource, KnownResourceStates.Finished, cancellationToken);
                return;
            }

            lastMessage = result.Message;
        }

        throw new InvalidOperationException($"Could not stop {resource}: {lastMessage}");
    }

    public async Task StartResourceAsync(string resource, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, "start", cancellationToken);
        Assert.True(result.Success, $"start {resource}: {result.Message}");
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken).WaitAsync(OperationTimeout, cancellationToken);
    }

    private bool IsInState(string resource, params string[] states) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var current)
        && states.Contains(current.Snapshot.State?.Text);

    public async Task WaitForStateAsync(string resource, string state, CancellationToken cancellationToken) =>
        await App.ResourceNotifications.WaitForResourceAsync(resource, state, cancellationToken).WaitAsync(OperationTimeout, cancellationToken);
}

[CollectionDefinition(Name)]
public sealed class AspireClusterCollection : ICollectionFixture<AspireClusterFixture>
{
    public const string Name = "Aspire cluster";
}
