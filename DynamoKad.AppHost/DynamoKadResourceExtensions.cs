namespace DynamoKad.AppHost;

/// <summary>How a DynamoKad node and the dashboard become Aspire resources.</summary>
internal static class DynamoKadResourceExtensions
{
    public const string GrpcEndpoint = "grpc";
    public const string HttpEndpoint = "http";

    public const string SecretParameter = "cluster-secret";

    /// <summary>
    /// The gen0 allocation budget a node runs with (<c>DOTNET_GCgen0size</c>, 64 MiB; the runtime reads it from the
    /// environment only). Under sustained writes every gen0 collection copies the newest version of each key written
    /// since the last one, so fewer, larger gen0s copy less: paired runs in both orientations measured about 6 % less
    /// server CPU per put (docs/BENCHMARKS.md, step 37). bench/dk-cluster.sh and deploy/kubernetes set the same value.
    /// </summary>
    public const string Gen0Budget = "0x4000000";

    /// <summary>
    /// The one cluster secret: required on every node-to-node and Admin call. Generated once and persisted in the
    /// AppHost's user secrets, so restarts keep it (causal contexts are signed with a key derived from it);
    /// set <c>Parameters:cluster-secret</c> to choose it.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddClusterSecret(this IDistributedApplicationBuilder builder) =>
        builder.AddParameter(SecretParameter, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

    public static IResourceBuilder<ProjectResource> AddDynamoKadNode(
        this IDistributedApplicationBuilder builder, string name, ClusterSettings settings, IResourceBuilder<ParameterResource> secret)
    {
        var node = builder.AddProject<Projects.DynamoKad_Node>(name, launchProfileName: null)
            .WithHttpEndpoint(name: HttpEndpoint)
            .WithHttpEndpoint(name: GrpcEndpoint)
            // h2c: the gRPC endpoint speaks HTTP/2 only.
            .WithEndpoint(GrpcEndpoint, endpoint => endpoint.Transport = "http2");

        var grpc = node.GetEndpoint(GrpcEndpoint);
        var http = node.GetEndpoint(HttpEndpoint);
        return node
            .WithEnvironment("DOTNET_GCgen0size", Gen0Budget)
            .WithEnvironment("DynamoKad__Node__Name", name)
            .WithEnvironment("DynamoKad__Node__DataDir", settings.NodeDataDir(name))
            .WithEnvironment("DynamoKad__Cluster__Secret", secret)
            .WithEnvironment("DynamoKad__Replication__N", settings.N.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("DynamoKad__Replication__R", settings.R.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("DynamoKad__Replication__W", settings.W.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("DynamoKad__Node__Listen", ReferenceExpression.Create($"127.0.0.1:{grpc.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("DynamoKad__Node__Http", ReferenceExpression.Create($"127.0.0.1:{http.Property(EndpointProperty.TargetPort)}"))
            // Peers dial the endpoint's stable (proxied) address, which survives a stop/start of the node.
            .WithEnvironment("DynamoKad__Node__AdvertisedAddress", grpc)
            .WithHttpHealthCheck("/health", endpointName: HttpEndpoint);
    }

    public static IResourceBuilder<ProjectResource> WithSeeds(
        this IResourceBuilder<ProjectResource> node, IEnumerable<IResourceBuilder<ProjectResource>> seeds)
    {
        var index = 0;
        foreach (var seed in seeds)
        {
            node.WithEnvironment($"DynamoKad__Cluster__Seeds__{index++}", seed.GetEndpoint(GrpcEndpoint));
        }

        return node;
    }

    public static IResourceBuilder<ProjectResource> AddDynamoKadDashboard(
        this IDistributedApplicationBuilder builder, string name, int? port, IReadOnlyList<IResourceBuilder<ProjectResource>> nodes,
        IResourceBuilder<ParameterResource> secret)
    {
        var dashboard = builder.AddProject<Projects.DynamoKad_Dashboard>(name, launchProfileName: null)
            .WithEnvironment("DynamoKad__Cluster__Secret", secret)
            .WithHttpEndpoint(name: HttpEndpoint, port: port)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck("/health", endpointName: HttpEndpoint)
            .WithUrlForEndpoint(HttpEndpoint, url => url.DisplayText = "DynamoKad dashboard");

        for (var i = 0; i < nodes.Count; i++)
        {
            dashboard
                .WithEnvironment($"DynamoKad__Nodes__{i}__Name", nodes[i].Resource.Name)
                .WithEnvironment($"DynamoKad__Nodes__{i}__Address", nodes[i].GetEndpoint(GrpcEndpoint))
                .WaitFor(nodes[i]);
        }

        return dashboard;
    }
}
